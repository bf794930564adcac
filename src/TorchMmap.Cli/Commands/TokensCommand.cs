using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchMmap.Text;

namespace TorchMmap.Cli.Commands;

/// <summary><c>npy tokens encode|info</c>: tokenize text files into a token file, and describe token files.</summary>
internal static class TokensCommand
{
    private static readonly (string, TokenFileFormat)[] Formats = [("llmc", TokenFileFormat.Llmc), ("bin", TokenFileFormat.Raw), ("raw", TokenFileFormat.Raw), ("npy", TokenFileFormat.Npy)];

    private static readonly (string, DocumentSplit)[] Documents = [("file", DocumentSplit.File), ("paragraph", DocumentSplit.BlankLine), ("line", DocumentSplit.Line)];

    public static Command Create() => new("tokens", "Tokenize text files into a token file, and describe token files.") { CreateEncode(), CreateInfo() };

    private static Command CreateEncode()
    {
        var output = new Argument<string>("OUT") { Description = "The token file to write; with --shard-tokens a name pattern holding {0}, the shard's index (e.g. train_{0:D6}.bin)." };
        var inputs = new Argument<string[]>("TEXT") { Description = "The UTF-8 text files, in order.", Arity = ArgumentArity.OneOrMore };
        Option<string> format = FormatOption("The file format (default llmc): an llm.c shard, nanoGPT's uint16 .bin, .npy, or raw (headerless).");
        var dtype = new Option<string?>("--dtype") { Description = "The token dtype (default uint16): uint16 or uint32 for llmc; any integer dtype for npy and raw.", HelpName = "D" };
        Option<string> documents = CommandLineValues.ChoiceOption("--documents", "What one document is (default file); each starts with <|endoftext|>.", Documents.Select(d => d.Item1).ToArray());
        Option<long?> shardTokens = CommandLineValues.PositiveLongOption("--shard-tokens", "N", "Start a new shard after N tokens; OUT then names the shards.");
        var command = new Command("encode", "GPT-2 tokens of text files into a token file, or into shards.") { output, inputs, format, dtype, documents, shardTokens };
        command.SetAction(result => Encode(
            result.GetRequiredValue(output),
            result.GetRequiredValue(inputs),
            FormatAndDType(result.GetValue(format), result.GetValue(dtype)),
            Documents.First(d => d.Item1 == (result.GetValue(documents) ?? "file")).Item2,
            result.GetValue(shardTokens) ?? 0,
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static Command CreateInfo()
    {
        var files = new Argument<string[]>("FILE") { Description = "The token files, read as one stream in the order given.", Arity = ArgumentArity.OneOrMore };
        Option<string> format = FormatOption("The file format: token files are never guessed.");
        format.Required = true;
        var dtype = new Option<string?>("--dtype") { Description = "For raw files: the token dtype (default uint16). Other formats record theirs.", HelpName = "D" };
        Option<long?> preview = CommandLineValues.PositiveLongOption("--preview", "N", "How many tokens to show and decode (default 32).");
        var command = new Command("info", "Token count, dtype, format, min/max token and a decoded preview of token files, as one stream.") { files, format, dtype, preview };
        command.SetAction(result =>
        {
            string formatName = result.GetRequiredValue(format);
            string? dtypeText = result.GetValue(dtype);
            if (formatName is not ("raw" or "bin") && dtypeText is not null)
                throw new UsageException($"{formatName} files record their dtype; --dtype is for raw files.");
            return Info(result.GetRequiredValue(files), FormatAndDType(formatName, dtypeText), (int)Math.Min(result.GetValue(preview) ?? 32, 100_000), result.InvocationConfiguration.Output);
        });
        return command;
    }

    private static Option<string> FormatOption(string description) =>
        CommandLineValues.ChoiceOption("--format", description, Formats.Select(f => f.Item1).ToArray());

    private static int Encode(string output, string[] inputs, (TokenFileFormat Format, NpyDType DType) layout, DocumentSplit documents, long shardTokens, TextWriter stdout, TextWriter stderr)
    {
        (TokenFileFormat format, NpyDType dtype) = layout;
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

    private static int Info(string[] files, (TokenFileFormat Format, NpyDType DType) layout, int preview, TextWriter stdout)
    {
        (TokenFileFormat format, NpyDType dtype) = layout;
        string? dtypeText = format == TokenFileFormat.Raw ? dtype.Descr : null;
        using TokenStream stream = TokenStream.Open(format, files, dtypeText);
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

    // The format and dtype the options name, checked together; the defaults are llm.c's format and uint16.
    private static (TokenFileFormat Format, NpyDType DType) FormatAndDType(string? formatName, string? dtypeText)
    {
        TokenFileFormat format = formatName is null ? TokenFileFormat.Llmc : Formats.First(f => f.Item1 == formatName).Item2;
        NpyDType dtype;
        try
        {
            dtype = TokenFile.ParseDType(dtypeText ?? "uint16");
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--dtype: {e.Message}");
        }
        if (formatName == "bin" && dtypeText is not null && !dtype.Equals(TokenFile.ParseDType("uint16")))
            throw new UsageException($"nanoGPT .bin files are uint16; use --format raw for {dtypeText}.");
        if (format == TokenFileFormat.Llmc && (dtype.ItemSize is not (2 or 4) || dtype.Kind != NpyKind.UnsignedInteger))
            throw new UsageException($"llm.c shards hold uint16 or uint32 tokens, not {dtypeText}.");
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
