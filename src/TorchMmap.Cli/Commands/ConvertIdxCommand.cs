using System.CommandLine;
using TorchMmap.Format;
using TorchMmap.Idx;

namespace TorchMmap.Cli.Commands;

/// <summary><c>npy convert-idx IN OUT</c>: writes an IDX file (MNIST's format, gzip'd or not) as a .npy file, streaming.</summary>
internal static class ConvertIdxCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "The IDX file, gzip'd or not." };
        var output = new Argument<string>("OUT") { Description = "The .npy file to write; its folder must exist." };
        var channelAxis = new Option<bool>("--channel-axis") { Description = "Write images (3 or more dimensions) as (N, 1, H, W)." };
        var int64Labels = new Option<bool>("--int64-labels") { Description = "Widen a 1-d integer (label) file to int64." };
        var command = new Command("convert-idx", "Write an IDX file (MNIST's format, gzip'd or not) as a .npy file, streaming.") { input, output, channelAxis, int64Labels };
        command.SetAction(result => Run(
            result.GetRequiredValue(input),
            result.GetRequiredValue(output),
            new IdxConversionOptions { InsertChannelAxis = result.GetValue(channelAxis), WidenLabelsToInt64 = result.GetValue(int64Labels) },
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(string input, string output, IdxConversionOptions options, TextWriter stdout, TextWriter stderr)
    {
        ArrayFile.RequireFile(input);
        ArrayFile.RequireFile(output);
        ArrayFile.RequireOutputFolder(output);
        CheckOptionsApply(input, options);
        int lastPercent = -1;
        NpyHeader header = IdxConverter.Convert(input, output, options, (done, total) =>
        {
            int percent = total == 0 ? 100 : (int)(100 * done / total);
            if (percent / 10 != lastPercent / 10)
            {
                stderr.Write($"\rconverting {percent,3}%");
                lastPercent = percent;
            }
        });
        stderr.WriteLine();
        stdout.WriteLine($"wrote {output}: {header.Descr} {header.FormatShape()}");
        return ExitCodes.Success;
    }

    // --channel-axis applies to images (3 or more dimensions), --int64-labels to 1-d integer files; anything else is a mistake.
    private static void CheckOptionsApply(string input, IdxConversionOptions options)
    {
        if (!options.InsertChannelAxis && !options.WidenLabelsToInt64)
            return;
        IdxHeader header;
        using (IdxReader reader = IdxReader.Open(input))
            header = reader.Header;
        if (options.InsertChannelAxis && header.Shape.Count < 3)
            throw new UsageException($"--channel-axis applies to images (3 or more dimensions), but '{input}' has shape ({string.Join(", ", header.Shape)}).");
        if (options.WidenLabelsToInt64 && (header.Shape.Count != 1 || header.ElementType is IdxElementType.Float32 or IdxElementType.Float64))
            throw new UsageException($"--int64-labels applies to 1-d integer (label) files, but '{input}' is {header.ElementType} with shape ({string.Join(", ", header.Shape)}).");
    }
}
