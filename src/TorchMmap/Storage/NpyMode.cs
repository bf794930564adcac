namespace TorchMmap.Storage;

/// <summary>How a .npy file is mapped, as NumPy's <c>mmap_mode</c>.</summary>
public enum NpyMode
{
    /// <summary><c>'r'</c>: read only; writes are refused.</summary>
    ReadOnly,

    /// <summary><c>'r+'</c>: reads and writes; writes reach the file (all of them by <see cref="NpyArray.Flush"/> or dispose).</summary>
    ReadWrite,

    /// <summary><c>'c'</c>: copy on write; writes change this mapping only, never the file.</summary>
    CopyOnWrite,
}
