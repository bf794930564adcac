using System.Runtime.InteropServices;

namespace TorchMmap.Benchmarks;

/// <summary>
/// Empties the page cache of a cold run's data right before its timed part: the one place every cold child does it.
/// </summary>
/// <remarks>
/// <c>files</c> (the default) evicts only the data files with <c>posix_fadvise(POSIX_FADV_DONTNEED)</c> and checks with
/// <c>mincore</c> that they left: the process stays as warm as a trainer some steps in, its data as cold as a file never
/// read. <c>all</c> drops the whole page cache (<c>echo 3 &gt; /proc/sys/vm/drop_caches</c>), which also evicts the
/// process's own libraries where it has not run them yet (libtorch, the .NET runtime): their pages then fault back in
/// during the timed epoch (17-19 major faults against 1 in the cold benchmark), which read slower for it.
/// </remarks>
internal static unsafe partial class ColdCache
{
    private const int PosixFadvDontNeed = 4;
    private const int ProtRead = 1;
    private const int MapShared = 1;
    private const long PageBytes = 4096;
    // A few pages may stay: the ones this process has mapped and touched (an .npy header), which eviction leaves alone.
    private const long ToleratedResidentPages = 16;

    /// <summary>The <c>--drop</c> option: <c>files</c> (the default) or <c>all</c>.</summary>
    public static string Mode(Options options)
    {
        string mode = options.Get("drop", "files");
        return mode is "files" or "all" ? mode
            : throw new ArgumentException($"Unknown --drop '{mode}'; use files (evict the data files) or all (drop the whole page cache).");
    }

    /// <summary>Empties the cache as <paramref name="mode"/> says (<c>files</c> or <c>all</c>) for <paramref name="paths"/>.</summary>
    public static void Drop(string mode, IEnumerable<string> paths)
    {
        switch (mode)
        {
            case "files":
                foreach (string path in paths)
                    Evict(path);
                break;
            case "all":
                try
                {
                    File.WriteAllText("/proc/sys/vm/drop_caches", "3");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine("could not drop caches (needs root): " + ex.Message);
                }
                break;
            default:
                throw new ArgumentException($"Unknown cache drop '{mode}'.", nameof(mode));
        }
    }

    /// <summary>Reads each file through once, in order, bypassing the page cache (fio with O_DIRECT), before anything is
    /// timed: a virtual disk may serve blocks not read for a while at a tenth of its rate or less until they have been read
    /// once (an epoch over a file untouched for two hours took 39 s against 3.3 s), which would time the disk waking, not
    /// the reader. Without fio the files stay as they are, with a warning.</summary>
    public static void WakeDisk(IEnumerable<string> paths)
    {
        if (!FioReference.IsAvailable())
        {
            Console.Error.WriteLine("warning: fio is not installed, so the data files are not read through before timing (apt-get install fio)");
            return;
        }
        foreach (string path in paths)
            _ = FioReference.ReadThrough(path);
    }

    /// <summary>What <paramref name="mode"/> does, for a report's heading.</summary>
    public static string Describe(string mode) => mode == "all" ? "the whole page cache dropped" : "the data files evicted from the page cache";

    /// <summary>A <c>python3</c> function, <c>drop_cache(mode, path)</c>, doing what <see cref="Drop"/> does for one file
    /// (without the residency check); the script that includes it imports <c>os</c>.</summary>
    public const string PythonDrop = """
        def drop_cache(mode, path):
            if mode == 'all':
                with open('/proc/sys/vm/drop_caches', 'w') as f:
                    f.write('3')
            else:
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)
        """;

    private static void Evict(string path)
    {
        using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        int fd = (int)file.SafeFileHandle.DangerousGetHandle();
        int error = PosixFadvise(fd, 0, 0, PosixFadvDontNeed);
        if (error != 0)
            throw new IOException($"posix_fadvise(DONTNEED) on '{path}' failed: errno {error}.");
        long resident = ResidentPages(fd, file.Length);
        if (resident > ToleratedResidentPages)
            Console.Error.WriteLine($"warning: {resident} pages of '{path}' stay cached after eviction (mapped elsewhere?): the run is not fully cold");
    }

    // Pages of the file in the page cache, by mincore over a fresh read-only mapping of it.
    private static long ResidentPages(int fd, long length)
    {
        if (length == 0)
            return 0;
        nint map = Mmap(0, (nuint)length, ProtRead, MapShared, fd, 0);
        if (map == -1)
            throw new IOException($"mmap for the residency check failed: errno {Marshal.GetLastPInvokeError()}.");
        try
        {
            long pages = (length + PageBytes - 1) / PageBytes;
            byte[] vector = new byte[pages];
            fixed (byte* v = vector)
            {
                if (Mincore(map, (nuint)length, v) != 0)
                    throw new IOException($"mincore failed: errno {Marshal.GetLastPInvokeError()}.");
            }
            long resident = 0;
            foreach (byte b in vector)
                resident += b & 1;
            return resident;
        }
        finally
        {
            _ = Munmap(map, (nuint)length);
        }
    }

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static partial int Mincore(nint address, nuint length, byte* vector);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);
}
