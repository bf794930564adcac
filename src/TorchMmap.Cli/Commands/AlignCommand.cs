using System.CommandLine;
using TorchMmap.Format;

namespace TorchMmap.Cli.Commands;

/// <summary><c>npy align IN OUT</c>: copies a .npy file with its data starting on a page (see <see cref="Npy.Realign"/>).</summary>
internal static class AlignCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "The .npy file." };
        var output = new Argument<string>("OUT") { Description = "The copy to write (may be IN); its folder must exist." };
        var alignment = new Option<int>("--alignment")
        {
            Description = "Start the data at a multiple of this many bytes: a multiple of 64 from 64 to 8192.",
            DefaultValueFactory = _ => 4096,
        };
        var command = new Command("align", "Copy a .npy file with its data starting on a page (4096 bytes), so rows of whole pages are read from disk without the page each straddles. Same dtype, shape and bytes.") { input, output, alignment };
        command.SetAction(result => Run(result.GetRequiredValue(input), result.GetRequiredValue(output), result.GetValue(alignment), result.InvocationConfiguration.Output));
        return command;
    }

    private static int Run(string input, string output, int alignment, TextWriter stdout)
    {
        ArrayFile.RequireFile(input);
        ArrayFile.RequireFile(output);
        ArrayFile.RequireOutputFolder(output);
        if (ArrayFile.IsNpz(input))
            throw new UsageException($"'{input}' is an .npz archive; align works on .npy files (np.load reads an archive's arrays from the zip, whose entries have their own offsets).");
        NpyHeader header;
        try
        {
            header = Npy.Realign(input, output, alignment);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "dataAlignment")
        {
            // The library's rule for alignments, checked before anything is written.
            throw new UsageException($"--alignment {alignment}: {e.Message}");
        }
        stdout.WriteLine($"wrote {output}: {header.Descr} {header.FormatShape()}, data at byte {header.DataOffset}");
        return ExitCodes.Success;
    }
}
