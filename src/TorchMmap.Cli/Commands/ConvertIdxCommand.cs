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
        ArrayFile.RequireFile(args[0]);
        ArrayFile.RequireFile(args[1]);
        // The converter would make missing folders; the tool writes only where the user's folders already are.
        string? folder = Path.GetDirectoryName(Path.GetFullPath(args[1]));
        if (folder is not null && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The folder of '{args[1]}' does not exist: '{folder}'.");
        CheckOptionsApply(args);
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

    // --channel-axis applies to images (3 or more dimensions), --int64-labels to 1-d integer files; anything else is a mistake.
    private static void CheckOptionsApply(CommandArguments args)
    {
        if (!args.Has("--channel-axis") && !args.Has("--int64-labels"))
            return;
        IdxHeader header;
        using (IdxReader reader = IdxReader.Open(args[0]))
            header = reader.Header;
        if (args.Has("--channel-axis") && header.Shape.Count < 3)
            throw new UsageException($"'convert-idx': --channel-axis applies to images (3 or more dimensions), but '{args[0]}' has shape ({string.Join(", ", header.Shape)}).");
        if (args.Has("--int64-labels") && (header.Shape.Count != 1 || header.ElementType is IdxElementType.Float32 or IdxElementType.Float64))
            throw new UsageException($"'convert-idx': --int64-labels applies to 1-d integer (label) files, but '{args[0]}' is {header.ElementType} with shape ({string.Join(", ", header.Shape)}).");
    }
}
