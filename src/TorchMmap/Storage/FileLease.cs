using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// A Linux file lease (<c>fcntl(F_SETLEASE)</c>) on a mapped file, which is what lets copies out of the mapping be plain
/// loads. While a lease is held, another process that opens the file for writing or truncates it is held back by the
/// kernel, and this process is told (SIGURG, set with <c>F_SETSIG</c>). Plain copies are made only while the lease is held
/// and no break is pending; once a break starts, new copies go through the kernel (which reports a vanished page as an
/// error instead of SIGBUS), and the lease is given up as soon as the plain copies in flight have ended, so the writer
/// waits only for them.
/// </summary>
/// <remarks>
/// A lease is never taken back after a break: whoever opened the file for writing may change it at any time afterwards.
/// Where no lease can be had (another process has the file open for writing, the file is not ours and the process lacks
/// CAP_LEASE, the file system has no leases, or the signal cannot be handled), every copy goes through the kernel.
/// </remarks>
internal sealed class FileLease
{
    private const int Held = 0;
    private const int Breaking = 1;
    private const int Released = 2;

    // The leases of this process by handle, so the signal handler can find the one being broken.
    private static readonly ConcurrentDictionary<FileLease, byte> s_live = new();
    private static readonly Lazy<PosixSignalRegistration?> s_signal = new(RegisterSignal);

    private readonly SafeFileHandle _handle;
    private readonly int _type;
    private int _state = Held;
    private int _plainCopies;

    private FileLease(SafeFileHandle handle, int type)
    {
        _handle = handle;
        _type = type;
    }

    /// <summary>Leases may be turned off for a process (tests and benchmarks measure the kernel-copy path this way).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>True while plain copies are allowed: the lease is held and no break is pending.</summary>
    public bool IsHeld => Volatile.Read(ref _state) == Held;

    /// <summary>Takes a read lease (a read-only <paramref name="handle"/>) or a write lease (read-write), or returns null.</summary>
    public static FileLease? TryTake(SafeFileHandle handle, bool writable)
    {
        if (!Enabled || !OperatingSystem.IsLinux() || s_signal.Value is null)
            return null;
        try
        {
            // The signal must be chosen before the lease exists: a break would otherwise send SIGIO, whose default kills.
            if (LibC.Fcntl(handle, LibC.FSetSig, LibC.SigUrg) != 0)
                return null;
            int type = writable ? LibC.FWrLck : LibC.FRdLck;
            if (LibC.Fcntl(handle, LibC.FSetLease, type) != 0)
                return null;
            var lease = new FileLease(handle, type);
            s_live[lease] = 0;
            return lease;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Starts a plain copy if the lease still holds; every true return must be matched by <see cref="EndPlainCopy"/>.
    /// Asks the kernel too (one fcntl), so a pending break is seen even when the signal is late.
    /// </summary>
    public bool TryBeginPlainCopy()
    {
        if (Volatile.Read(ref _state) != Held)
            return false;
        Interlocked.Increment(ref _plainCopies);
        // The increment comes before this read, and Break writes the state before it reads the count, so either this
        // copy sees the break or Break sees this copy (and leaves the release to EndPlainCopy).
        if (Volatile.Read(ref _state) == Held && StillHeld())
            return true;
        Break();
        EndPlainCopy();
        return false;
    }

    /// <summary>Ends a plain copy; the last one to end during a break gives the lease up.</summary>
    public void EndPlainCopy()
    {
        if (Interlocked.Decrement(ref _plainCopies) == 0 && Volatile.Read(ref _state) == Breaking)
            Release();
    }

    /// <summary>Stops plain copies and gives the lease up once none is in flight.</summary>
    public void Break()
    {
        if (Interlocked.CompareExchange(ref _state, Breaking, Held) == Held && Volatile.Read(ref _plainCopies) == 0)
            Release();
    }

    /// <summary>Forgets the lease when its file closes (closing the file ends the lease in the kernel).</summary>
    public void Close()
    {
        Volatile.Write(ref _state, Released);
        s_live.TryRemove(this, out _);
    }

    private bool StillHeld()
    {
        try
        {
            return LibC.Fcntl(_handle, LibC.FGetLease, 0) == _type;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private void Release()
    {
        if (Interlocked.CompareExchange(ref _state, Released, Breaking) != Breaking)
            return;
        s_live.TryRemove(this, out _);
        try
        {
            _ = LibC.Fcntl(_handle, LibC.FSetLease, LibC.FUnLck);
        }
        catch (ObjectDisposedException)
        {
            // Closing the file ended the lease already.
        }
    }

    // One process-wide handler, kept for the life of the process: leases taken later rely on it.
    private static PosixSignalRegistration? RegisterSignal()
    {
        try
        {
            return PosixSignalRegistration.Create((PosixSignal)LibC.SigUrg, context =>
            {
                context.Cancel = true;
                foreach (FileLease lease in s_live.Keys)
                {
                    if (!lease.StillHeld())
                        lease.Break();
                }
            });
        }
        catch (Exception ex) when (ex is PlatformNotSupportedException or IOException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
