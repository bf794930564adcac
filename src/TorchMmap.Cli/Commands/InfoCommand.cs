using System.CommandLine;
using TorchMmap.Format;

namespace TorchMmap.Cli.Commands;

/// <summary><c>npy info FILE</c>: the header of a .npy file (or of each entry of an .npz archive) and whether it is valid.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        Argument<string> file = ArrayFile.Argument();
        var raw = new RawLayoutOptions();
        var command = new Command("info", "Version, dtype, shape, fortran order, data offset and size of each array, and whether the file is valid.") { file };
        raw.AddTo(command);
        command.SetAction(result => Run(result.GetRequiredValue(file), raw.From(result), result.InvocationConfiguration.Output));
        return command;
    }

    private static int Run(string path, RawLayout? layout, TextWriter stdout)
    {
        ArrayFile.RequireFile(path);
        if (layout is RawLayout raw)
            return DescribeRaw(path, raw, stdout) ? ExitCodes.Success : ExitCodes.InvalidFile;
        if (!ArrayFile.IsNpz(path))
            return Describe(path, stdout);
        NpzArchive archive = NpzArchive.Read(path);
        stdout.WriteLine($"archive:       {path} ({archive.Entries.Count} arrays)");
        int worst = ExitCodes.Success;
        foreach (NpzEntry entry in archive.Entries)
        {
            stdout.WriteLine();
            worst = Worse(worst, DescribeEntry(path, entry, stdout));
        }
        return worst;
    }

    /// <summary>Of two verdicts, the one to report: malformed over unsupported over valid.</summary>
    public static int Worse(int a, int b) =>
        a == ExitCodes.InvalidFile || b == ExitCodes.InvalidFile ? ExitCodes.InvalidFile
        : a == ExitCodes.Unsupported || b == ExitCodes.Unsupported ? ExitCodes.Unsupported
        : ExitCodes.Success;

    // The verdict line for a file that failed: malformed, or well formed with what TorchMmap cannot load.
    private static int Refused(Exception e, TextWriter stdout)
    {
        if (e is NotSupportedException)
        {
            stdout.WriteLine($"valid:         not malformed, but TorchMmap cannot load it: {e.Message}");
            return ExitCodes.Unsupported;
        }
        stdout.WriteLine($"valid:         no: {e.Message}");
        return ExitCodes.InvalidFile;
    }

    private static int Describe(string path, TextWriter stdout)
    {
        long fileLength = new FileInfo(path).Length;
        stdout.WriteLine($"file:          {path}");
        stdout.WriteLine($"file size:     {fileLength} bytes");
        NpyHeader header;
        try
        {
            header = NpyHeader.Read(path);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            return Refused(e, stdout);
        }
        WriteHeader(header, stdout);
        long extra = fileLength - header.DataOffset - header.DataLength;
        stdout.WriteLine(extra == 0 ? "valid:         yes" : $"valid:         yes ({extra} bytes after the data are ignored)");
        return ExitCodes.Success;
    }

    // A headerless file read as the caller said: what np.memmap would map, or why it cannot.
    private static bool DescribeRaw(string path, RawLayout raw, TextWriter stdout)
    {
        long fileLength = new FileInfo(path).Length;
        stdout.WriteLine($"file:          {path}");
        stdout.WriteLine($"file size:     {fileLength} bytes");
        stdout.WriteLine("layout:        raw (headerless, as np.memmap); dtype, offset, shape and order as given");
        try
        {
            using TorchMmap.Storage.NpyArray array = TorchMmap.Storage.NpyArray.OpenRaw(path, raw.DType, TorchMmap.Storage.NpyMode.ReadOnly, raw.Offset, raw.Shape, raw.Fortran);
            NpyHeader header = array.Header;
            stdout.WriteLine($"dtype:         {header.Descr} ({header.DType.ScalarType})");
            stdout.WriteLine($"shape:         {header.FormatShape()}{(raw.Shape is null ? " (inferred from the file size)" : "")}");
            stdout.WriteLine($"fortran order: {(header.FortranOrder ? "True" : "False")}");
            stdout.WriteLine($"data offset:   {array.DataStart}");
            stdout.WriteLine($"data size:     {header.DataLength} bytes ({header.ElementCount} elements)");
            long extra = fileLength - array.DataStart - header.DataLength;
            stdout.WriteLine(extra == 0 ? "valid:         yes" : $"valid:         yes ({extra} bytes after the data are ignored)");
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException)
        {
            stdout.WriteLine($"valid:         no: {e.Message}");
            return false;
        }
    }

    private static int DescribeEntry(string path, NpzEntry entry, TextWriter stdout)
    {
        stdout.WriteLine($"array:         {entry.ArrayName}");
        stdout.WriteLine($"compression:   {(entry.IsStored ? "stored (can be memory-mapped)" : $"method {entry.CompressionMethod} (cannot be memory-mapped)")}");
        try
        {
            NpyHeader header;
            if (entry.IsStored)
            {
                using TorchMmap.Storage.NpyArray array = TorchMmap.Storage.NpyArray.OpenNpzEntry(path, entry.ArrayName);
                header = array.Header;
            }
            else
            {
                using Stream stream = entry.OpenRead();
                header = NpyHeader.Read(stream, $"{path}:{entry.ArrayName}");
            }
            WriteHeader(header, stdout);
            stdout.WriteLine("valid:         yes");
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            return Refused(e, stdout);
        }
    }

    private static void WriteHeader(NpyHeader header, TextWriter stdout)
    {
        stdout.WriteLine($"version:       {header.Version.Major}.{header.Version.Minor}");
        stdout.WriteLine($"dtype:         {header.Descr} ({header.DType.ScalarType})");
        stdout.WriteLine($"shape:         {header.FormatShape()}");
        stdout.WriteLine($"fortran order: {(header.FortranOrder ? "True" : "False")}");
        stdout.WriteLine($"data offset:   {header.DataOffset}");
        stdout.WriteLine($"data size:     {header.DataLength} bytes ({header.ElementCount} elements)");
    }
}
