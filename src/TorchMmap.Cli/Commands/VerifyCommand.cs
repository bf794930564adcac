using System.CommandLine;
using TorchMmap.Format;
using TorchMmap.Storage;

namespace TorchMmap.Cli.Commands;

/// <summary>
/// <c>npy verify FILE</c>: exit 0 when the file (every array of an .npz) can be read as its header says, 1 with the
/// reason when it is malformed, 4 when it is well formed but holds what TorchMmap cannot load (such as uint64).
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A .npy file or an .npz archive." };
        var command = new Command("verify", "Exit 0 if the file is a valid .npy file (or .npz archive), 1 with the reason if it is malformed, 4 if it is valid but not loadable.") { file };
        command.SetAction(result => Run(result.GetRequiredValue(file), result.InvocationConfiguration.Output));
        return command;
    }

    private static int Run(string path, TextWriter stdout)
    {
        try
        {
            string summary = ArrayFile.IsNpz(path) ? VerifyNpz(path) : VerifyNpy(path);
            stdout.WriteLine($"valid: {path}: {summary}");
            return ExitCodes.Success;
        }
        catch (NotSupportedException e)
        {
            stdout.WriteLine($"unsupported: {e.Message}");
            return ExitCodes.Unsupported;
        }
        catch (InvalidDataException e)
        {
            stdout.WriteLine($"invalid: {e.Message}");
            return ExitCodes.InvalidFile;
        }
    }

    private static string VerifyNpy(string path)
    {
        // Opening maps the file after checking the header and that the data fits; NumPy ignores bytes after the data.
        using NpyArray array = NpyArray.Open(path);
        return $"{array.Header.Descr} {array.Header.FormatShape()}";
    }

    private static string VerifyNpz(string path)
    {
        NpzArchive archive = NpzArchive.Read(path);
        var parts = new List<string>();
        foreach (NpzEntry entry in archive.Entries)
        {
            if (entry.IsStored)
            {
                using NpyArray array = NpyArray.OpenNpzEntry(path, entry.ArrayName);
                parts.Add($"{entry.ArrayName} {array.Header.Descr} {array.Header.FormatShape()}");
                continue;
            }
            // A compressed entry is read through once, as Npy.LoadNpz reads it: the header, then to the end, where the
            // library checks the size and CRC-32 the directory records.
            using Stream stream = entry.OpenRead();
            string name = $"{path}:{entry.ArrayName}";
            NpyHeader header = NpyHeader.Read(stream, name);
            long data = 0;
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = stream.Read(buffer)) > 0;)
                data += n;
            if (data < header.DataLength)
                throw new InvalidDataException($"'{name}': the shape {header.FormatShape()} of {header.Descr} needs {header.DataLength} bytes of data, but the entry has {data}.");
            parts.Add($"{entry.ArrayName} {header.Descr} {header.FormatShape()} (compressed)");
        }
        return $"{archive.Entries.Count} arrays: " + string.Join(", ", parts);
    }
}
