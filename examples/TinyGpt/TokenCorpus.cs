using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchMmap.Format;

namespace TinyGpt;

/// <summary>
/// A text tokenized once into two Megatron-LM indexed datasets of uint16 tokens (written with the library's
/// <see cref="IndexedDatasetWriter"/>), one document per <see cref="TextDocuments">blank-line-separated part</see> of the
/// text: <c>train.bin</c>/<c>train.idx</c> with the text's first part and <c>val.bin</c>/<c>val.idx</c> with its last
/// <see cref="ValidationFraction"/>, cut at the start of a line. A Megatron <c>.bin</c> of uint16 tokens holds the tokens and
/// nothing else, headerless and little-endian: it is also a nanoGPT token file, so the token-window layout reads the same
/// file. A manifest (<c>corpus.json</c>) records what the files hold, so a later run with the same text and tokenizer
/// reuses them.
/// </summary>
public sealed record TokenCorpus
{
    // Names the file layout in the manifest, so files written in another layout are written again rather than reused.
    private const string FileLayout = "megatron-indexed-uint16";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>The training token file (the indexed dataset's <c>.bin</c>; a nanoGPT token file).</summary>
    public required string TrainPath { get; init; }

    /// <summary>The validation token file, same format.</summary>
    public required string ValidationPath { get; init; }

    /// <summary>The training documents: the prefix of the Megatron indexed dataset (<c>.bin</c> and <c>.idx</c>).</summary>
    public string TrainDocumentsPrefix => Path.ChangeExtension(TrainPath, null);

    /// <summary>The validation documents: the prefix of the Megatron indexed dataset.</summary>
    public string ValidationDocumentsPrefix => Path.ChangeExtension(ValidationPath, null);

    /// <summary>Documents in the training dataset.</summary>
    public required long TrainDocuments { get; init; }

    /// <summary>Documents in the validation dataset.</summary>
    public required long ValidationDocuments { get; init; }

    /// <summary>The tokenizer that made the files.</summary>
    public required ITextTokenizer Tokenizer { get; init; }

    /// <summary>The share of the text held out for validation.</summary>
    public required double ValidationFraction { get; init; }

    /// <summary>Characters of the training text.</summary>
    public required long TrainCharacters { get; init; }

    /// <summary>Characters of the validation text.</summary>
    public required long ValidationCharacters { get; init; }

    /// <summary>Tokens in <see cref="TrainPath"/>.</summary>
    public required long TrainTokens { get; init; }

    /// <summary>Tokens in <see cref="ValidationPath"/>.</summary>
    public required long ValidationTokens { get; init; }

    /// <summary>Whether the files were written by this call (false: reused).</summary>
    public bool Written { get; init; }

    /// <summary>Tokenizes <paramref name="text"/> into <paramref name="directory"/>, or reuses the files there when their
    /// manifest says they hold this text, tokenized this way, split this way.</summary>
    /// <param name="text">The whole text.</param>
    /// <param name="directory">Where the files go; created if needed.</param>
    /// <param name="kind">The tokenizer.</param>
    /// <param name="validationFraction">The share of the text, from its end, held out for validation.</param>
    /// <returns>The corpus.</returns>
    /// <exception cref="ArgumentException"><paramref name="text"/> is too short to split, or <paramref name="validationFraction"/>
    /// is outside (0, 1).</exception>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public static TokenCorpus Prepare(string text, string directory, TokenizerKind kind, double validationFraction = 0.1)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(directory);
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation share is in (0, 1).");
        int cut = SplitPoint(text, validationFraction);
        if (cut <= 1 || cut >= text.Length - 1)
            throw new ArgumentException($"A text of {text.Length} characters is too short to hold out {validationFraction:P0} for validation.", nameof(text));
        Directory.CreateDirectory(directory);
        string manifestPath = Path.Combine(directory, "corpus.json");
        var wanted = new Manifest(kind.ToString().ToLowerInvariant(), Sha256(text), validationFraction, cut, text.Length - cut, 0, 0, null, FileLayout, 0, 0);
        if (TryReuse(manifestPath, wanted, directory) is TokenCorpus reused)
            return reused;

        // The character vocabulary is the whole text's, so no validation character lacks an id (nanoGPT's shakespeare_char does the same).
        ITextTokenizer tokenizer = kind == TokenizerKind.Char ? CharTokenizer.FromText(text) : new Gpt2TextTokenizer();
        (long trainTokens, long trainDocuments) = Write(Path.Combine(directory, "train"), text[..cut], tokenizer);
        (long valTokens, long valDocuments) = Write(Path.Combine(directory, "val"), text[cut..], tokenizer);
        Manifest written = wanted with
        {
            TrainTokens = trainTokens,
            ValidationTokens = valTokens,
            Alphabet = (tokenizer as CharTokenizer)?.Alphabet,
            TrainDocuments = trainDocuments,
            ValidationDocuments = valDocuments,
        };
        File.WriteAllText(manifestPath, JsonSerializer.Serialize(written, s_json));
        return From(written, tokenizer, directory, written: true);
    }

    // The validation text starts at the beginning of the line in which the last validationFraction of the text begins.
    private static int SplitPoint(string text, double validationFraction)
    {
        int cut = (int)Math.Round(text.Length * (1 - validationFraction));
        int lineStart = text.LastIndexOf('\n', Math.Clamp(cut - 1, 0, text.Length - 1));
        return lineStart < 0 ? cut : lineStart + 1;
    }

    // Each document is tokenized on its own, so the token stream is the same whether it is read as documents or as one stream.
    private static (long Tokens, long Documents) Write(string prefix, string text, ITextTokenizer tokenizer)
    {
        using IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.UInt16, IndexedDatasetConvention.Megatron);
        long tokens = 0;
        foreach (Range document in TextDocuments.Split(text))
        {
            long[] ids = Array.ConvertAll(tokenizer.Encode(text[document]), id => (long)id);
            writer.AddDocument(ids);
            tokens += ids.Length;
        }
        writer.Complete();
        return (tokens, writer.DocumentCount);
    }

    private static TokenCorpus? TryReuse(string manifestPath, Manifest wanted, string directory)
    {
        if (!File.Exists(manifestPath))
            return null;
        Manifest? found;
        try
        {
            found = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(manifestPath));
        }
        catch (JsonException)
        {
            // A damaged manifest: the files are simply written again.
            return null;
        }
        if (found is null || found.Tokenizer != wanted.Tokenizer || found.TextSha256 != wanted.TextSha256
            || found.ValidationFraction != wanted.ValidationFraction || found.TrainCharacters != wanted.TrainCharacters
            || found.Layout != wanted.Layout)
            return null;
        string train = Path.Combine(directory, "train.bin"), val = Path.Combine(directory, "val.bin");
        // The .bin files hold two bytes per token and nothing else; the indexes are validated when they are opened.
        if (!File.Exists(train) || !File.Exists(val) || new FileInfo(train).Length != 2 * found.TrainTokens || new FileInfo(val).Length != 2 * found.ValidationTokens
            || !File.Exists(Path.ChangeExtension(train, ".idx")) || !File.Exists(Path.ChangeExtension(val, ".idx")))
            return null;
        ITextTokenizer tokenizer = found.Tokenizer == "gpt2" ? new Gpt2TextTokenizer() : new CharTokenizer(found.Alphabet ?? "");
        return From(found, tokenizer, directory, written: false);
    }

    private static TokenCorpus From(Manifest m, ITextTokenizer tokenizer, string directory, bool written) => new()
    {
        TrainPath = Path.Combine(directory, "train.bin"),
        ValidationPath = Path.Combine(directory, "val.bin"),
        Tokenizer = tokenizer,
        ValidationFraction = m.ValidationFraction,
        TrainCharacters = m.TrainCharacters,
        ValidationCharacters = m.ValidationCharacters,
        TrainTokens = m.TrainTokens,
        ValidationTokens = m.ValidationTokens,
        TrainDocuments = m.TrainDocuments,
        ValidationDocuments = m.ValidationDocuments,
        Written = written,
    };

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    // What corpus.json holds.
    private sealed record Manifest(
        string Tokenizer,
        string TextSha256,
        double ValidationFraction,
        long TrainCharacters,
        long ValidationCharacters,
        long TrainTokens,
        long ValidationTokens,
        string? Alphabet,
        string? Layout,
        long TrainDocuments,
        long ValidationDocuments);
}
