using System.Globalization;

namespace FashionMnist;

/// <summary>The command line of the example: where data and output live, and the training settings.</summary>
/// <param name="DataDirectory">The folder with the four Fashion-MNIST IDX files.</param>
/// <param name="OutputDirectory">The folder everything is written to (the .npy files, model, charts).</param>
/// <param name="Settings">The training settings.</param>
/// <param name="RetainFreedMemory">Whether native memory freed by a training step is kept for the next one (<see cref="TorchMmap.Runtime.NativeHeap.RetainFreedMemory"/>).</param>
public sealed record ProgramOptions(string DataDirectory, string OutputDirectory, TrainingSettings Settings, bool RetainFreedMemory = true)
{
    /// <summary>The default output folder, relative to the current directory.</summary>
    public const string DefaultOutput = "out/fashion-mnist";

    /// <summary>The help text.</summary>
    public static string HelpText { get; } = $"""
        Trains a small CNN on Fashion-MNIST read batch by batch from memory-mapped .npy files.

        usage: dotnet run -c Release --project examples/FashionMnist -- [options]

          --data DIR        folder with the four Fashion-MNIST IDX files (.gz or not) [default: {FashionMnistData.DebianDirectory}]
          --out DIR         folder for the .npy files, model, charts and metrics [default: {DefaultOutput}]
          --epochs N        passes over the training set [default: {new TrainingSettings().Epochs}]
          --batch-size N    training batch size [default: {new TrainingSettings().BatchSize}]
          --seed N          seed of weights, order and augmentation; same seed, same run [default: {new TrainingSettings().Seed}]
          --threads N       TorchSharp compute threads [default: the number of cores, {Environment.ProcessorCount}]
          --width N         channels of the first conv block (x2, x4 in the next) [default: {new TrainingSettings().Width}]
          --lr X            peak learning rate of the one-cycle schedule [default: {new TrainingSettings().MaxLearningRate.ToString(CultureInfo.InvariantCulture)}]
          --no-augment      train without random flips and crops
          --default-heap    leave glibc's malloc thresholds as they are (by default freed tensor memory is kept for reuse)
          -h, --help        this text

        exit codes: 0 done, 1 failed (bad data files), 2 usage error, 3 data not found
        """;

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options, or null when help was asked for.</returns>
    /// <exception cref="UsageException">An option is unknown, lacks its value, or has a value out of range; the message says which.</exception>
    public static ProgramOptions? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new TrainingSettings();
        string data = FashionMnistData.DebianDirectory, output = DefaultOutput;
        bool retain = true;
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            switch (name)
            {
                case "-h" or "--help":
                    return null;
                case "--no-augment":
                    settings = settings with { Flip = false, CropPadding = 0 };
                    continue;
                case "--default-heap":
                    retain = false;
                    continue;
            }
            if (i + 1 >= args.Count)
                throw new UsageException(name.StartsWith('-') ? $"The option {name} needs a value." : $"Unexpected argument '{name}'.", nameof(args));
            string value = args[++i];
            settings = name switch
            {
                "--data" => settings,
                "--out" => settings,
                "--epochs" => settings with { Epochs = Positive(name, value) },
                "--batch-size" => settings with { BatchSize = Positive(name, value) },
                "--seed" => settings with { Seed = Seed(value) },
                "--threads" => settings with { Threads = Positive(name, value) },
                "--width" => settings with { Width = Positive(name, value) },
                "--lr" => settings with { MaxLearningRate = PositiveReal(name, value) },
                _ => throw new UsageException($"Unknown option '{name}'.", nameof(args)),
            };
            if (name == "--data")
                data = value;
            else if (name == "--out")
                output = value;
        }
        return new ProgramOptions(data, output, settings, retain);
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new UsageException($"{name} takes a positive whole number; got '{value}'.", nameof(value));

    private static long Seed(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)
            ? n
            : throw new UsageException($"--seed takes a whole number; got '{value}'.", nameof(value));

    private static double PositiveReal(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x > 0 && double.IsFinite(x)
            ? x
            : throw new UsageException($"{name} takes a positive number; got '{value}'.", nameof(value));
}
