using System.CommandLine;
using TorchMmap.Format;
using TorchMmap.Storage;

namespace TorchMmap.Cli;

/// <summary>Opens the arrays of a file: the one array of a .npy file, or each entry of an .npz archive (told apart by their first bytes).</summary>
internal static class ArrayFile
{
    /// <summary>The FILE argument of the commands that read arrays.</summary>
    public static Argument<string> Argument() => new("FILE")
    {
        Description = "A .npy file, an .npz archive (each array in turn), or with --raw a headerless file.",
    };

    /// <summary>True when the file starts as a zip archive does, as <c>np.load</c> tells them apart; a FIFO or device is never
    /// opened to look (the reader that follows refuses it by name).</summary>
    public static bool IsNpz(string path)
    {
        RequireFile(path);
        return NpzArchive.IsZip(path);
    }

    /// <summary>The names of the arrays: "" for a .npy or raw file, the entry names of an .npz archive.</summary>
    public static IReadOnlyList<string> Names(string path, RawLayout? raw = null) =>
        raw is null && IsNpz(path) ? NpzArchive.Read(path).Entries.Select(e => e.ArrayName).ToArray() : [""];

    /// <summary>Maps one array; <paramref name="name"/> is "" for a .npy file; a raw file is read as <paramref name="raw"/> says.</summary>
    public static NpyArray Open(string path, string name, RawLayout? raw = null)
    {
        RequireFile(path);
        return raw is not null ? NpyArray.OpenRaw(path, raw.DType, NpyMode.ReadOnly, raw.Offset, raw.Shape, raw.Fortran)
        : name.Length == 0 ? NpyArray.Open(path) : NpyArray.OpenNpzEntry(path, name);
    }

    /// <summary>Throws unless the folder <paramref name="output"/> would be written in exists: the tool writes only where the
    /// user's folders already are (the library's writers would make missing ones).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static void RequireOutputFolder(string output)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(output));
        if (folder is not null && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The folder of '{output}' does not exist: '{folder}'.");
    }

    /// <summary>Throws when <paramref name="path"/> is a directory (which the OS would report as "access denied").</summary>
    /// <exception cref="IOException">The path is a directory.</exception>
    public static void RequireFile(string path)
    {
        if (Directory.Exists(path))
            throw new IOException($"'{path}' is a directory, not a file.");
    }

    /// <summary>How an array is named in output: the path, or path:entry.</summary>
    public static string Label(string path, string name) => name.Length == 0 ? path : $"{path}:{name}";
}
