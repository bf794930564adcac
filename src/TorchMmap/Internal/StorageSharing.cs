using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Internal;

/// <summary>
/// Tells whether anything besides one tensor handle holds that tensor's memory: libtorch's reference counts of the tensor
/// (raised by another handle to it: TorchSharp's <c>alias()</c>, <c>to(CPU)</c> of a CPU tensor) and of its storage (raised
/// by every tensor viewing it: <c>view</c>, <c>narrow</c>, indexing, autograd's saved inputs).
/// TorchSharp does not expose it, so it is read from libtorch's objects, whose layout is checked once against a tensor
/// made for the purpose; if the check fails, <see cref="IsSupported"/> is false and callers must assume sharing.
/// </summary>
internal static unsafe partial class StorageSharing
{
    // c10::intrusive_ptr_target is a vtable pointer and then the counts: since libtorch 2.4 one 64-bit word holding the
    // strong count in its low 32 bits and the weak count in its high ones; before, a 64-bit strong and a 64-bit weak count.
    // TensorImpl's first member is its Storage (one intrusive pointer to the StorageImpl), and StorageImpl's first member is
    // its DataPtr, whose first word is the data address. A TorchSharp tensor handle points to an at::Tensor, one intrusive
    // pointer to the TensorImpl.
    private const int RefCountOffset = 8;
    private static readonly Layout[] s_layouts = [new(FirstMember: 16, CombinedCounts: true), new(FirstMember: 24, CombinedCounts: false)];

    private static readonly Lazy<Layout?> s_layout = new(FindLayout);

    [LibraryImport("LibTorchSharp")]
    private static partial nint THSStorage_data_ptr(nint handle);

    /// <summary>Whether reference counts can be read in this process (checked once).</summary>
    public static bool IsSupported => s_layout.Value is not null;

    /// <summary>True when <paramref name="tensor"/> is the only holder of its storage; false when anything else holds it,
    /// or when that cannot be told.</summary>
    public static bool IsSoleOwner(Tensor tensor) =>
        s_layout.Value is Layout layout && !tensor.IsInvalid && TensorRefCount(tensor.Handle, layout) == 1 && StorageRefCount(tensor.Handle, layout) == 1;

    private static long TensorRefCount(nint handle, Layout layout) => RefCount(*(nint*)handle, layout);

    private static long StorageRefCount(nint handle, Layout layout) => RefCount(*(nint*)(*(nint*)handle + layout.FirstMember), layout);

    private static long RefCount(nint target, Layout layout)
    {
        long word = Volatile.Read(ref *(long*)(target + RefCountOffset));
        return layout.CombinedCounts ? (uint)word : word;
    }

    // A layout holds if, for a fresh tensor, the storage found at its place (a plausible pointer: read only then) points at
    // the tensor's data, its count follows a view being made and freed (1, 2, 1), and the tensor's own count is 1.
    private static Layout? FindLayout()
    {
        try
        {
            using Tensor probe = torch.empty(16, dtype: ScalarType.Byte, device: CPU);
            nint impl = *(nint*)probe.Handle;
            nint data = THSStorage_data_ptr(probe.Handle);
            if (impl == 0 || data == 0)
                return null;
            foreach (Layout layout in s_layouts)
            {
                nint storage = *(nint*)(impl + layout.FirstMember);
                if (storage < 0x10000 || storage % sizeof(nint) != 0 || *(nint*)(storage + layout.FirstMember) != data)
                    continue;
                long alone = StorageRefCount(probe.Handle, layout);
                long shared;
                using (Tensor view = probe.narrow(0, 0, 4))
                    shared = StorageRefCount(probe.Handle, layout);
                if (alone == 1 && shared == 2 && StorageRefCount(probe.Handle, layout) == 1 && TensorRefCount(probe.Handle, layout) == 1)
                    return layout;
            }
            return null;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
    }

    // Where TensorImpl's storage and StorageImpl's data pointer sit, and how the counts are packed.
    private sealed record Layout(int FirstMember, bool CombinedCounts);
}
