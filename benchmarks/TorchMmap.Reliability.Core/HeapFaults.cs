using System.Globalization;
using System.Runtime.InteropServices;
using TorchMmap.Runtime;

namespace TorchMmap.Reliability;

/// <summary>
/// The hidden <c>heap-faults retain|default</c> command: allocates, touches and frees one 64 MiB block twenty times through
/// the C heap (as libtorch does with a training step's activations), and prints the minor page faults that took, with
/// <see cref="NativeHeap.RetainFreedMemory"/> applied first or not. Run in a child process because it changes the process's heap.
/// </summary>
public static unsafe class HeapFaults
{
    /// <summary>Bytes per block.</summary>
    public const int BlockBytes = 64 << 20;

    /// <summary>Allocations per run.</summary>
    public const int Rounds = 20;

    /// <summary>Runs the measurement and prints "applied faults" (applied: whether the settings took effect).</summary>
    /// <param name="mode"><c>retain</c> to call <see cref="NativeHeap.RetainFreedMemory"/> first, <c>default</c> not to.</param>
    /// <returns>0, or 2 for an unknown mode.</returns>
    public static int Run(string mode)
    {
        bool applied = mode switch
        {
            "retain" => NativeHeap.RetainFreedMemory(),
            "default" => false,
            _ => throw new FormatException($"heap-faults takes retain or default, not '{mode}'."),
        };
        long before = MinorFaults();
        for (int round = 0; round < Rounds; round++)
        {
            byte* block = (byte*)NativeMemory.Alloc(BlockBytes);
            for (long offset = 0; offset < BlockBytes; offset += Environment.SystemPageSize)
                block[offset] = (byte)round;
            NativeMemory.Free(block);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{applied} {MinorFaults() - before}"));
        return 0;
    }

    // Field 10 of /proc/self/stat, counted after the command name's closing parenthesis.
    private static long MinorFaults()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7], CultureInfo.InvariantCulture);
    }
}
