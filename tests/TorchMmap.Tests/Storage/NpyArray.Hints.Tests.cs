using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

public sealed partial class NpyArrayHintsTests : IDisposable
{
    private const int PosixFadvDontNeed = 4;
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-hints-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(SafeFileHandle fd, long offset, long length, int advice);

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static unsafe partial int MinCore(nint address, nuint length, byte* vector);

    [Fact]
    public unsafe void WillNeed_RowsEvictedFromPageCache_AreReadBackIn()
    {
        if (!OperatingSystem.IsLinux())
            return;   // madvise hints exist only on Linux; elsewhere WillNeed is documented as doing nothing
        int page = Environment.SystemPageSize;
        string path = Path.Combine(_dir, "rows.npy");
        // 64 rows of 16 pages each, so hinted rows and untouched rows sit on different pages.
        int rowBytes = 16 * page;
        using (Tensor data = torch.ones(64, rowBytes, dtype: ScalarType.Byte))
            Npy.Save(path, data);
        using var array = NpyArray.Open(path);
        using (FileStream f = File.OpenRead(path))
            Assert.Equal(0, PosixFadvise(f.SafeFileHandle, 0, 0, PosixFadvDontNeed));

        array.WillNeed([40, 3, 41, 3, 1000, -1]);   // unsorted, repeated and out-of-range indices are fine

        using var map = System.IO.MemoryMappedFiles.MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        try
        {
            long dataStart = new FileInfo(path).Length - 64L * rowBytes;
            bool Resident(long row)
            {
                // The middle page of the row lies wholly inside it.
                long offset = (dataStart + row * rowBytes + rowBytes / 2) / page * page;
                byte v = 0;
                Assert.Equal(0, MinCore((nint)(p + offset), (nuint)page, &v));
                return (v & 1) != 0;
            }

            // The reads are asynchronous: give the disk a moment.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!(Resident(3) && Resident(40) && Resident(41)) && DateTime.UtcNow < deadline)
                Thread.Sleep(10);
            Assert.True(Resident(3) && Resident(40) && Resident(41));
            Assert.False(Resident(20));
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    [Fact]
    public void WillNeed_AfterDispose_Throws()
    {
        string path = Path.Combine(_dir, "small.npy");
        using (Tensor data = torch.arange(10, dtype: ScalarType.Int64))
            Npy.Save(path, data);
        var array = NpyArray.Open(path);
        array.WillNeed([1, 2]);
        array.Advise(NpyAccessPattern.Random);
        array.Dispose();

        Assert.Throws<ObjectDisposedException>(() => array.WillNeed([1]));
        Assert.Throws<ObjectDisposedException>(() => array.Advise(NpyAccessPattern.Sequential));
    }
}
