using TorchMmap.Storage;

namespace TinyGpt;

/// <summary>
/// The baseline: a bigram model p(next | token) = (count(token, next) + k) / (count(token) + k V), counted on the training
/// tokens, with add-k smoothing. k is chosen on held-out training tokens, never on the validation split.
/// </summary>
public sealed class BigramModel
{
    private const int Chunk = 1 << 20;
    private readonly Dictionary<long, int> _pairs;
    private readonly long[] _rows;

    private BigramModel(int vocabularySize, double smoothing, Dictionary<long, int> pairs, long[] rows)
    {
        VocabularySize = vocabularySize;
        Smoothing = smoothing;
        _pairs = pairs;
        _rows = rows;
    }

    /// <summary>V, the vocabulary size.</summary>
    public int VocabularySize { get; }

    /// <summary>k, the count added to every pair.</summary>
    public double Smoothing { get; }

    /// <summary>Distinct pairs seen in training.</summary>
    public int DistinctPairs => _pairs.Count;

    /// <summary>
    /// Chooses k from a grid by fitting on the first 90% of <paramref name="train"/> and scoring the last 10%, then counts all of
    /// <paramref name="train"/> with that k.
    /// </summary>
    /// <param name="train">The training tokens.</param>
    /// <param name="vocabularySize">V.</param>
    /// <returns>The fitted model.</returns>
    /// <exception cref="ArgumentException">The stream has fewer than 20 tokens, or a token is outside [0, V).</exception>
    public static BigramModel Fit(TokenStream train, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        if (train.Count < 20)
            throw new ArgumentException($"{train.Count} tokens are too few to fit a bigram model.", nameof(train));
        long fitEnd = train.Count * 9 / 10;
        (Dictionary<long, int> pairs, long[] rows) = Count(train, 0, fitEnd, vocabularySize);
        double best = double.NaN, bestLoss = double.PositiveInfinity;
        foreach (double k in new[] { 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0 })
        {
            double loss = new BigramModel(vocabularySize, k, pairs, rows).Loss(train, fitEnd - 1, train.Count - fitEnd).NatsPerToken;
            if (loss < bestLoss)
                (best, bestLoss) = (k, loss);
        }
        (pairs, rows) = Count(train, 0, train.Count, vocabularySize);
        return new BigramModel(vocabularySize, best, pairs, rows);
    }

    /// <summary>The cross-entropy of predicting <c>tokens[i + 1]</c> from <c>tokens[i]</c> for <paramref name="pairs"/> pairs from <paramref name="start"/>.</summary>
    /// <param name="tokens">The tokens.</param>
    /// <param name="start">The first predicting token.</param>
    /// <param name="pairs">Predictions to score.</param>
    /// <returns>Total nats and nats per token.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the stream.</exception>
    public (double Nats, double NatsPerToken) Loss(TokenStream tokens, long start, long pairs)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + pairs + 1, tokens.Count, nameof(pairs));
        double nats = 0, kv = Smoothing * VocabularySize;
        var buffer = new long[Chunk + 1];
        for (long at = start; at < start + pairs; at += Chunk)
        {
            int n = (int)Math.Min(Chunk, start + pairs - at);
            Span<long> span = buffer.AsSpan(0, n + 1);
            tokens.CopyTo(at, span);
            for (int i = 0; i < n; i++)
            {
                long prev = Check(span[i]), next = Check(span[i + 1]);
                int c = _pairs.GetValueOrDefault(prev * VocabularySize + next);
                nats -= Math.Log((c + Smoothing) / (_rows[prev] + kv));
            }
        }
        return (nats, nats / pairs);
    }

    private long Check(long token) =>
        (ulong)token < (ulong)VocabularySize ? token : throw new ArgumentException($"Token {token} is outside the vocabulary of {VocabularySize}.", nameof(token));

    private static (Dictionary<long, int> Pairs, long[] Rows) Count(TokenStream tokens, long from, long to, int v)
    {
        var pairs = new Dictionary<long, int>();
        var rows = new long[v];
        var buffer = new long[Chunk + 1];
        for (long at = from; at < to - 1; at += Chunk)
        {
            int n = (int)Math.Min(Chunk, to - 1 - at);
            Span<long> span = buffer.AsSpan(0, n + 1);
            tokens.CopyTo(at, span);
            for (int i = 0; i < n; i++)
            {
                long prev = span[i], next = span[i + 1];
                if ((ulong)prev >= (ulong)v || (ulong)next >= (ulong)v)
                    throw new ArgumentException($"Token {Math.Max(prev, next)} near position {at + i} is outside the vocabulary of {v}.", nameof(tokens));
                ref int count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(pairs, prev * v + next, out _);
                count++;
                rows[prev]++;
            }
        }
        return (pairs, rows);
    }
}
