using System.Globalization;
using TorchMmap.Storage;

namespace TorchMmap.Reliability.Changes;

/// <summary>
/// The hidden <c>map-under-limit</c> command: prints <c>VMSIZE bytes</c> (this process's address space once TorchSharp is
/// loaded), waits for a line on standard input (the parent meanwhile lowers RLIMIT_AS with <c>prlimit</c>), then maps the
/// file, and prints <c>CAUGHT type: message</c> or <c>MAPPED</c>.
/// </summary>
public static class MapUnderLimit
{
    /// <summary>Runs the command.</summary>
    /// <param name="path">A .npy file larger than the limit the parent will set.</param>
    /// <returns>0 when the mapping failed with an exception or succeeded; never a crash.</returns>
    public static int Run(string path)
    {
        using (TorchSharp.torch.zeros(1)) { }
        string size = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmSize:", StringComparison.Ordinal));
        long kib = long.Parse(size["VmSize:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"VMSIZE {kib * 1024}"));
        Console.Out.Flush();
        _ = Console.In.ReadLine();
        try
        {
            using NpyArray array = NpyArray.Open(path);
            Console.Out.WriteLine("MAPPED");
        }
        catch (Exception ex)
        {
            Console.Out.WriteLine($"CAUGHT {ex.GetType().FullName}: {ex.Message.ReplaceLineEndings(" ")}");
        }
        return 0;
    }
}
