using System.Globalization;
using Spectre.Console;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchMmap.Text;

namespace TorchMmap.Cli.Commands;

/// <summary><c>npy tokens encode|info</c>: tokenize text files into a token file, and describe token files.</summary>
internal static class TokensCommand
{
    public const string Usage = "tokens encode OUT TEXT... [--format llmc|bin|npy|raw] [--dtype D] [--documents file|paragraph|line] [--shard-tokens N]\n" +
        "                     GPT-2 tokens of text files into a token file (shards when --shard-tokens; OUT then holds {0})\n" +
        "  tokens info FILE... --format llmc|bin|npy|raw [--dtype D] [--preview N]\n" +
        "                     token count, dtype, format, min/max token and a decoded preview of one stream of token files";

    private static readonly (string, TokenFileFormat)[] Formats = [("llmc", TokenFileFormat.Llmc), ("bin", TokenFileFormat.Raw), ("raw", TokenFileFormat.Raw), ("npy", TokenFileFormat.Npy)];

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count == 0)
            throw new UsageException("'tokens' needs a subcommand: encode or info.");
        string[] rest = args.Skip(1).ToArray();
        return args[0] switch
        {
            "encode" => Encode(new TokenOptions("tokens encode", rest, 2, "--format", "--dtype", "--documents", "--shard-tokens"), stdout, stderr),
            "info" => Info(new TokenOptions("tokens info", rest, 1, "--format", "--dtype", "--preview"), stdout),
            _ => throw new UsageException($"Unknown tokens subcommand '{args[0]}'; use encode or info."),
        };
    }

    private static int Encode(TokenOptions options, TextWriter stdout, TextWriter stderr)
    {
        string output = options.Positional[0];
        string[] inputs = options.Positional.Skip(1).ToArray();
        (TokenFileFormat format, NpyDType dtype) = FormatAndDType(options, TokenFileFormat.Llmc);
        DocumentSplit documents = options.Choice("--documents", DocumentSplit.File, ("file", DocumentSplit.File), ("paragraph", DocumentSplit.BlankLine), ("line", DocumentSplit.Line));
        long shardTokens = options.PositiveLong("--shard-tokens", 0);
        foreach (string input in inputs)
        {
            if (!File.Exists(input))
                throw new FileNotFoundException($"Could not find the text file '{input}'.", input);
        }
        long totalBytes = inputs.Sum(i => new FileInfo(i).Length);

        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.Shared;
        (long Documents, long Tokens) result;
        IReadOnlyList<string> written;
        if (shardTokens > 0)
        {
            using TokenShardWriter shards = TokenShardWriter.Create(output, format, dtype, shardTokens);
            result = WithProgress(stderr, totalBytes, progress => tokenizer.EncodeFiles(inputs, shards, documents, progress));
            shards.Complete();
            written = shards.CompletedPaths;
        }
        else
        {
            using TokenWriter writer = TokenWriter.Create(output, format, dtype);
            result = WithProgress(stderr, totalBytes, progress => tokenizer.EncodeFiles(inputs, writer, documents, progress));
            writer.Complete();
            written = [output];
        }
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.Tokens} tokens ({result.Documents} documents, {totalBytes} bytes of text) as {FormatName(format)} {dtype} in {written.Count} file{(written.Count == 1 ? "" : "s")}:"));
        foreach (string path in written)
            stdout.WriteLine("  " + path);
        return ExitCodes.Success;
    }

    private static int Info(TokenOptions options, TextWriter stdout)
    {
        if (options.Get("--format") is null)
            throw new UsageException("'tokens info' needs --format: token files are never guessed (llmc, bin, npy or raw).");
        (TokenFileFormat format, NpyDType dtype) = FormatAndDType(options, TokenFileFormat.Llmc);
        if (format != TokenFileFormat.Raw && options.Get("--dtype") is not null)
            throw new UsageException($"'tokens info': {options.Get("--format")} files record their dtype; --dtype is for raw files.");
        int preview = (int)Math.Min(options.PositiveLong("--preview", 32), 100_000);
        string? dtypeText = format == TokenFileFormat.Raw ? dtype.Descr : null;
        using TokenStream stream = TokenStream.Open(format, options.Positional, dtypeText);
        TokenSummary summary = TokenSummary.Of(stream);
        foreach (TokenFile file in stream.Files)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"file:        {file.Path} ({file.Count} tokens{(file.LlmcHeader is { } h ? $", llm.c magic {h.Magic} version {h.Version}" : "")})"));
        stdout.WriteLine($"format:      {FormatName(format)}");
        stdout.WriteLine($"dtype:       {stream.Files[0].DType}{(stream.Files.Any(f => !f.DType.Equals(stream.Files[0].DType)) ? " (differs between files)" : "")}");
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tokens:      {stream.Count}"));
        if (stream.Count > 0)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"min token:   {summary.Min}"));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"max token:   {summary.Max}"));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"documents:   {summary.EndOfTextCount} <|endoftext|> tokens ({Gpt2Tokenizer.EndOfText})"));
            long[] first = stream.Read(0, (int)Math.Min(preview, stream.Count));
            stdout.WriteLine($"first:       {string.Join(' ', first)}");
            if (summary.Max < Gpt2Tokenizer.VocabularySize && summary.Min >= 0)
                stdout.WriteLine($"as GPT-2:    {Escape(Gpt2Tokenizer.Shared.Decode(first))}");
            else
                stdout.WriteLine("as GPT-2:    (tokens outside GPT-2's vocabulary; not decoded)");
        }
        return ExitCodes.Success;
    }

    private static (TokenFileFormat Format, NpyDType DType) FormatAndDType(TokenOptions options, TokenFileFormat fallback)
    {
        string? formatName = options.Get("--format");
        TokenFileFormat format = options.Choice("--format", fallback, Formats);
        string? dtypeText = options.Get("--dtype");
        NpyDType dtype;
        try
        {
            dtype = dtypeText is null ? TokenFile.ParseDType("uint16") : TokenFile.ParseDType(dtypeText);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"'{options.Command}': {e.Message}");
        }
        if (formatName == "bin" && dtypeText is not null && !dtype.Equals(TokenFile.ParseDType("uint16")))
            throw new UsageException($"'{options.Command}': nanoGPT .bin files are uint16; use --format raw for {dtypeText}.");
        if (format == TokenFileFormat.Llmc && (dtype.ItemSize is not (2 or 4) || dtype.Kind != NpyKind.UnsignedInteger))
            throw new UsageException($"'{options.Command}': llm.c shards hold uint16 or uint32 tokens, not {dtypeText}.");
        if (format == TokenFileFormat.Llmc)
            dtype = TokenFile.ParseDType(dtype.ItemSize == 2 ? "<u2" : "<u4");
        return (format, dtype);
    }

    private static string FormatName(TokenFileFormat format) => format switch
    {
        TokenFileFormat.Llmc => "llm.c shard",
        TokenFileFormat.Npy => ".npy",
        _ => "raw (headerless)",
    };

    private static string Escape(string text) => text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    // A progress bar on stderr when it is a terminal; otherwise (tests, pipes) nothing is drawn.
    private static (long, long) WithProgress(TextWriter stderr, long totalBytes, Func<IProgress<long>?, (long, long)> run)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) });
        if (!console.Profile.Capabilities.Interactive || ReferenceEquals(stderr, TextWriter.Null))
            return run(null);
        (long, long) result = default;
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("tokenizing", maxValue: Math.Max(1, totalBytes));
                result = run(new Progress<long>(bytes => task.Value = bytes));
                task.Value = task.MaxValue;
            });
        return result;
    }
}
