using TorchMmap.Format;
using TorchMmap.Idx;

namespace TorchMmap.Cli.Commands;

/// <summary><c>npy convert-idx IN OUT</c>: writes an IDX file (MNIST's format, gzip'd or not) as a .npy file, streaming.</summary>
internal static class ConvertIdxCommand
{
    public const string Usage = "convert-idx IN OUT [--channel-axis] [--int64-labels]\n" +
        "                   write an IDX file (gzip'd or not) as .npy; --channel-axis makes images (N, 1, H, W),\n" +
        "                   --int64-labels widens a 1-d integer (label) file to int64";

    public static int Run(CommandArguments args, TextWriter stdout, TextWriter stderr)
    {
        var options = new IdxConversionOptions
        {
            InsertChannelAxis = args.Has("--channel-axis"),
            WidenLabelsToInt64 = args.Has("--int64-labels"),
        };
        int lastPercent = -1;
        NpyHeader header = IdxConverter.Convert(args[0], args[1], options, (done, total) =>
        {
            int percent = total == 0 ? 100 : (int)(100 * done / total);
            if (percent / 10 != lastPercent / 10)
            {
                stderr.Write($"\rconverting {percent,3}%");
                lastPercent = percent;
            }
        });
        stderr.WriteLine();
        stdout.WriteLine($"wrote {args[1]}: {header.Descr} {header.FormatShape()}");
        return ExitCodes.Success;
    }
}
