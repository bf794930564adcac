using System.Buffers;
using System.Runtime.InteropServices;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// Copies runs of bytes between a mapping and local memory by asking the kernel to do it: <c>process_vm_readv</c> (or
/// <c>process_vm_writev</c>) on this process's own mapping, up to 1024 runs per call. A page the file no longer backs makes
/// the call fail with an error code, where a plain load would raise SIGBUS and kill the process; the failure becomes an
/// <see cref="InvalidDataException"/> naming the file. This is the path every copy takes when no lease guards the file.
/// </summary>
/// <remarks>
/// Where <c>process_vm_readv</c> is refused (a seccomp filter, a kernel without it), runs are copied with
/// <c>pread</c>/<c>pwrite</c> on the file, which see the same page cache as a shared or read-only mapping. A copy-on-write
/// mapping's private changes are not in the file, so for such a mapping the runs are then copied plainly.
/// </remarks>
internal sealed unsafe class MappingCopy : IDisposable
{
    // The kernel silently shortens a vectored transfer past MAX_RW_COUNT (2 GiB less a page): stay well below it.
    private const long MaxCallBytes = 1L << 30;

    private static readonly int s_pid = Environment.ProcessId;
    private static int s_vmCallsRefused;

    private readonly MappedFile _file;
    private readonly byte* _base;
    private readonly bool _write;
    private LibC.IoVec[] _local;
    private LibC.IoVec[] _remote;
    private int _count;
    private long _bytes;

    /// <summary>True once <c>process_vm_readv</c> has been refused in this process: runs are then copied through the file.
    /// Tests set it to exercise that path.</summary>
    internal static bool VmCallsRefused
    {
        get => Volatile.Read(ref s_vmCallsRefused) != 0;
        set => Volatile.Write(ref s_vmCallsRefused, value ? 1 : 0);
    }

    /// <summary>Starts a batch of runs for <paramref name="file"/>, whose mapping starts at <paramref name="mapping"/>.</summary>
    /// <param name="file">The mapped file, for its handle, mode and messages.</param>
    /// <param name="mapping">The address of file offset 0 (from a lease the caller holds).</param>
    /// <param name="write">True to copy local memory into the mapping, false to copy out of it.</param>
    public MappingCopy(MappedFile file, byte* mapping, bool write)
    {
        _file = file;
        _base = mapping;
        _write = write;
        _local = ArrayPool<LibC.IoVec>.Shared.Rent(LibC.IovMax);
        _remote = ArrayPool<LibC.IoVec>.Shared.Rent(LibC.IovMax);
    }

    /// <summary>Copies <paramref name="bytes"/> bytes at file offset <paramref name="offset"/> to or from <paramref name="local"/> at once.</summary>
    public static void Run(MappedFile file, byte* mapping, bool write, long offset, byte* local, long bytes)
    {
        using var copy = new MappingCopy(file, mapping, write);
        copy.Add(offset, local, bytes);
        copy.Flush();
    }

    /// <summary>Queues a run; runs are copied when 1024 are queued, when they reach 1 GiB, and by <see cref="Flush"/>.</summary>
    public void Add(long offset, byte* local, long bytes)
    {
        // A run that continues the previous one on both sides extends it (consecutive rows, adjacent items).
        if (_count > 0 && bytes > 0 && bytes <= MaxCallBytes - _bytes)
        {
            ref LibC.IoVec lastLocal = ref _local[_count - 1];
            ref LibC.IoVec lastRemote = ref _remote[_count - 1];
            if (lastLocal.Base + lastLocal.Length == local && lastRemote.Base + lastRemote.Length == _base + offset)
            {
                lastLocal.Length += (nuint)bytes;
                lastRemote.Length += (nuint)bytes;
                _bytes += bytes;
                if (_bytes == MaxCallBytes)
                    Flush();
                return;
            }
        }
        while (bytes > 0)
        {
            long n = Math.Min(bytes, MaxCallBytes - _bytes);
            _local[_count] = new LibC.IoVec { Base = local, Length = (nuint)n };
            _remote[_count] = new LibC.IoVec { Base = _base + offset, Length = (nuint)n };
            _count++;
            _bytes += n;
            if (_count == LibC.IovMax || _bytes == MaxCallBytes)
                Flush();
            offset += n;
            local += n;
            bytes -= n;
        }
    }

    /// <summary>Copies the queued runs.</summary>
    /// <exception cref="InvalidDataException">A page of the runs is no longer backed by the file.</exception>
    /// <exception cref="IOException">The copy failed for another reason.</exception>
    public void Flush()
    {
        if (_count == 0)
            return;
        try
        {
            if (Volatile.Read(ref s_vmCallsRefused) == 0 && TryVmCall())
                return;
            for (int i = 0; i < _count; i++)
                CopyByFile(_local[i].Base, (long)(_remote[i].Base - _base), (long)_local[i].Length);
        }
        finally
        {
            _count = 0;
            _bytes = 0;
        }
    }

    public void Dispose()
    {
        ArrayPool<LibC.IoVec>.Shared.Return(_local);
        ArrayPool<LibC.IoVec>.Shared.Return(_remote);
        _local = _remote = [];
    }

    // True when the kernel copied everything; false when this process may not make the call (fall back to the file).
    private bool TryVmCall()
    {
        fixed (LibC.IoVec* local = _local, remote = _remote)
        {
            nint done = _write
                ? LibC.ProcessVmWritev(s_pid, local, (nuint)_count, remote, (nuint)_count, 0)
                : LibC.ProcessVmReadv(s_pid, local, (nuint)_count, remote, (nuint)_count, 0);
            if (done == _bytes)
                return true;
            int errno = done < 0 ? Marshal.GetLastPInvokeError() : LibC.EFault;
            if (errno is LibC.ENoSys or LibC.EPerm)
            {
                Volatile.Write(ref s_vmCallsRefused, 1);
                return false;
            }
            throw _file.CopyFailed(errno);
        }
    }

    private void CopyByFile(byte* local, long offset, long bytes)
    {
        if (_file.Mode == NpyMode.CopyOnWrite)
        {
            // Private changes live only in the mapping; the file cannot supply them.
            if (_write)
                Buffer.MemoryCopy(local, _base + offset, bytes, bytes);
            else
                Buffer.MemoryCopy(_base + offset, local, bytes, bytes);
            return;
        }
        // pwrite past the end would lengthen the file where the mapping's store would fault: refuse it the same way.
        if (_write && _file.CurrentFileLength() < offset + bytes)
            throw _file.CopyFailed(LibC.EFault);
        while (bytes > 0)
        {
            nuint chunk = (nuint)Math.Min(bytes, MaxCallBytes);
            nint done = _write ? _file.PWrite(local, chunk, offset) : _file.PRead(local, chunk, offset);
            if (done <= 0)
            {
                int errno = done < 0 ? Marshal.GetLastPInvokeError() : LibC.EFault;
                if (errno == LibC.EIntr)
                    continue;
                throw _file.CopyFailed(errno);
            }
            local += done;
            offset += done;
            bytes -= done;
        }
    }
}
