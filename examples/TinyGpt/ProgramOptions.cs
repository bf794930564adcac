using System.Globalization;
using TorchMmap.Data;

namespace TinyGpt;

/// <summary>The command line of the example.</summary>
/// <param name="TextPath">A UTF-8 text file to train on; null for the King James Bible from the <c>bible</c> command.</param>
/// <param name="OutputDirectory">The folder everything is written to (token files, weights, chart, metrics, sample).</param>
/// <param name="Tokenizer">How text becomes tokens.</param>
/// <param name="Settings">The training settings.</param>
/// <param name="Sample">What to generate at the end.</param>
/// <param name="RetainFreedMemory">Whether native memory freed by a training step is kept for the next one (<see cref="TorchMmap.Runtime.NativeHeap.RetainFreedMemory"/>).</param>
/// <param name="EvaluateOnly">Whether to evaluate the weights an earlier run saved in the output folder instead of training (nanoGPT's <c>eval_only</c>).</param>
public sealed record ProgramOptions(string? TextPath, string OutputDirectory, TokenizerKind Tokenizer, TrainingSettings Settings, SampleSettings Sample, bool RetainFreedMemory = true, bool EvaluateOnly = false)
{
    /// <summary>The default output folder, relative to the current directory.</summary>
    public const string DefaultOutput = "out/tiny-gpt";

    /// <summary>The help text.</summary>
    public static string HelpText { get; } = Help(new TrainingSettings(), new SampleSettings());

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options, or null when help was asked for.</returns>
    /// <exception cref="UsageException">An option is unknown, lacks its value, or has a value out of range; the message says which.</exception>
    public static ProgramOptions? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new TrainingSettings();
        var sample = new SampleSettings();
        string? text = null;
        string output = DefaultOutput;
        TokenizerKind tokenizer = TokenizerKind.Char;
        bool retainFreedMemory = true;
        bool evaluateOnly = false;
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
                return null;
            if (name == "--default-heap")
            {
                retainFreedMemory = false;
                continue;
            }
            if (name == "--eval-only")
            {
                evaluateOnly = true;
                continue;
            }
            if (i + 1 >= args.Count)
                throw new UsageException(name.StartsWith('-') ? $"The option {name} needs a value." : $"Unexpected argument '{name}'.");
            string value = args[++i];
            GptConfig model = settings.Model;
            switch (name)
            {
                case "--text": text = value; break;
                case "--out": output = value; break;
                case "--tokenizer":
                    tokenizer = value switch
                    {
                        "char" => TokenizerKind.Char,
                        "gpt2" => TokenizerKind.Gpt2,
                        _ => throw new UsageException($"--tokenizer takes char or gpt2; got '{value}'."),
                    };
                    break;
                case "--packing":
                    settings = settings with
                    {
                        Packing = value switch
                        {
                            "split" => PackingMode.Split,
                            "aligned" => PackingMode.Aligned,
                            "bestfit" => PackingMode.BestFit,
                            _ => throw new UsageException($"--packing takes split, aligned or bestfit; got '{value}'."),
                        },
                    };
                    break;
                case "--warmup": settings = settings with { WarmupSteps = NonNegative(name, value) }; break;
                case "--steps": settings = settings with { Steps = Positive(name, value) }; break;
                case "--batch-size": settings = settings with { BatchSize = Positive(name, value) }; break;
                case "--block-size": settings = settings with { Model = model with { BlockSize = Positive(name, value) } }; break;
                case "--layers": settings = settings with { Model = model with { Layers = Positive(name, value) } }; break;
                case "--heads": settings = settings with { Model = model with { Heads = Positive(name, value) } }; break;
                case "--embedding": settings = settings with { Model = model with { Embedding = Positive(name, value) } }; break;
                case "--dropout": settings = settings with { Model = model with { Dropout = Real(name, value, 0, 1) } }; break;
                case "--lr": settings = settings with { LearningRate = Real(name, value, double.Epsilon, 1) }; break;
                case "--eval-interval": settings = settings with { EvalInterval = Positive(name, value) }; break;
                case "--threads": settings = settings with { Threads = Positive(name, value) }; break;
                case "--seed":
                    long seed = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)
                        ? n : throw new UsageException($"--seed takes a whole number; got '{value}'.");
                    settings = settings with { Seed = seed };
                    sample = sample with { Seed = seed };
                    break;
                case "--prompt": sample = sample with { Prompt = value.Length > 0 ? value : throw new UsageException("--prompt needs some text.") }; break;
                case "--sample-tokens": sample = sample with { Tokens = Positive(name, value) }; break;
                case "--temperature": sample = sample with { Temperature = Real(name, value, double.Epsilon, 100) }; break;
                default: throw new UsageException($"Unknown option '{name}'.");
            }
        }
        if (settings.Model.Embedding % settings.Model.Heads != 0)
            throw new UsageException($"--embedding {settings.Model.Embedding} must be a multiple of --heads {settings.Model.Heads}.");
        return new ProgramOptions(text, output, tokenizer, settings, sample, retainFreedMemory, evaluateOnly);
    }

    private static string Help(TrainingSettings s, SampleSettings g) => string.Create(CultureInfo.InvariantCulture, $"""
        Trains a small GPT on a memory-mapped token file: the King James Bible, tokenized once into train/val files.

        usage: dotnet run -c Release --project examples/TinyGpt -- [options]

          --text FILE         train on this UTF-8 text instead of the King James Bible (from Debian's bible-kjv)
          --out DIR           folder for token files, weights, chart, metrics and sample [default: {DefaultOutput}]
          --tokenizer KIND    char (one token per character) or gpt2 (GPT-2 BPE, 50257 tokens) [default: char]
          --packing MODE      train on documents (blank-line-separated parts: the KJV's chapters) packed into sequences,
                              attention and positions within each document: split, aligned or bestfit
                              [default: token windows at random offsets]
          --steps N           optimizer steps [default: {s.Steps}]
          --warmup N          steps of linear learning-rate warm-up [default: {s.WarmupSteps}]
          --batch-size N      windows per step [default: {s.BatchSize}]
          --block-size N      tokens per window, the context length [default: {s.Model.BlockSize}]
          --layers N          transformer blocks [default: {s.Model.Layers}]
          --heads N           attention heads [default: {s.Model.Heads}]
          --embedding N       width of the model [default: {s.Model.Embedding}]
          --dropout X         dropout probability [default: {s.Model.Dropout}]
          --lr X              peak learning rate (warm-up, then cosine decay) [default: {s.LearningRate}]
          --eval-interval N   steps between validation estimates [default: {s.EvalInterval}]
          --seed N            seed of weights, batch order and sample [default: {s.Seed}]
          --threads N         TorchSharp compute threads [default: the number of cores, {Environment.ProcessorCount}]
          --prompt TEXT       start of the generated sample [default: "{g.Prompt}"]
          --sample-tokens N   tokens to generate [default: {g.Tokens}]
          --temperature X     sampling temperature [default: {g.Temperature}]
          --eval-only         evaluate the weights an earlier run with the same options saved in --out; no training
          --default-heap      leave glibc's malloc thresholds as they are (by default freed tensor memory is kept for reuse)
          -h, --help          this text

        exit codes: 0 done, 1 failed (bad data files), 2 usage error, 3 text not found
        """);

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new UsageException($"{name} takes a positive whole number; got '{value}'.");

    private static int NonNegative(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new UsageException($"{name} takes a whole number; got '{value}'.");

    private static double Real(string name, string value, double min, double below) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x >= min && x < below
            ? x
            : throw new UsageException($"{name} takes a number in [{min}, {below}); got '{value}'.");
}
