using System.Globalization;
using TorchMmap.Benchmarks;

// Modes: hot (default) | train | cold | fortran | scale | tokens | npz-entries | documents; "--child ..." is how the benchmark runs each contender in its own process.
if (args.Length > 0 && args[0] == "--child")
{
    return args[1] switch
    {
        "hot" => HotChild.Run(args[2], args[3], args[4], args[5], int.Parse(args[6], CultureInfo.InvariantCulture)),
        "cold" => ColdChild.Run(new Options(args.Skip(2))),
        "tokens" => TokensChild.Run(new Options(args.Skip(2))),
        "documents-cold" => DocumentsColdChild.Run(new Options(args.Skip(2))),
        "interleaved" => InterleavedChild.Run(args[2], args[3], args[4], int.Parse(args[5], CultureInfo.InvariantCulture), args[6].Split(','), int.Parse(args[7], CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException($"Unknown child mode '{args[1]}'."),
    };
}
string mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "hot";
var options = new Options(args.SkipWhile(a => !a.StartsWith("--", StringComparison.Ordinal)));
return mode switch
{
    "hot" => HotBenchmark.Run(options),
    "train" => TrainBenchmark.Run(options),
    "cold" => ColdBenchmark.Run(options),
    "fortran" => FortranBenchmark.Run(options),
    "scale" => ScaleBenchmark.Run(options),
    "tokens" => TokensBenchmark.Run(options),
    "npz-entries" => NpzEntriesBenchmark.Run(options),
    "documents" => DocumentsBenchmark.Run(options),
    _ => throw new ArgumentException($"Unknown mode '{mode}'; use hot, train, cold, fortran, scale, tokens, npz-entries or documents."),
};
