using TorchMmap.Data;
using TorchMmap.Storage;
using TorchMmap.Tests.Data;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Hardening;

/// <summary>
/// Files truncated or replaced while mapped. Touching a mapped page past the new end of a file raises SIGBUS and kills the
/// process, so these tests pass only if every access checks the length first: a crash would take the test host down.
/// </summary>
public sealed class TruncationTests : IDisposable
{
    private readonly DataFiles _files = new();

    [Fact]
    public void GetEnumerator_FileTruncatedBetweenEpochs_ThrowsInvalidDataNamingTheFile()
    {
        (string x, string y) = _files.Write(200);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        using var loader = new NpyDataLoader(dataset, 32, shuffle: true, seed: 3, num_workers: 2);
        long batches = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
            batches++;
        Assert.Equal(7, batches);

        Truncate(x, new FileInfo(x).Length / 2);

        var ex = Assert.Throws<InvalidDataException>(() => loader.GetEnumerator());
        Assert.Contains(x, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MoveNext_FileTruncatedMidEpoch_ThrowsInvalidDataAtTheNextBatch()
    {
        (string x, string y) = _files.Write(200);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        using var loader = new NpyDataLoader(dataset, 32, num_workers: 0);
        using IEnumerator<Dictionary<string, Tensor>> epoch = loader.GetEnumerator();
        Assert.True(epoch.MoveNext());
        DataFiles.AssertRows(epoch.Current, Enumerable.Range(0, 32).Select(i => (long)i).ToArray());

        Truncate(y, 128 + 8 * 100);

        var ex = Assert.Throws<InvalidDataException>(() => epoch.MoveNext());
        Assert.Contains(y, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ArrayReads_FileTruncatedAfterOpen_ThrowInvalidDataAndNeverFault()
    {
        (string x, _) = _files.Write(100);
        using NpyArray array = NpyArray.Open(x);
        using (Tensor before = array.Gather([99]))
            Assert.Equal(99 * 6, before[0, 0, 0].item<int>());

        Truncate(x, 200);

        Assert.Throws<InvalidDataException>(() => array.Gather([99]));
        Assert.Throws<InvalidDataException>(() => array.Gather([0]));
        Assert.Throws<InvalidDataException>(() => array.ReadRows(0, 1));
        Assert.Throws<InvalidDataException>(() => array.ToTensor());
        Assert.Throws<InvalidDataException>(() => array.EnsureFileIntact());
    }

    [Fact]
    public void GetTensor_FileTruncatedAfterOpen_ThrowsInvalidData()
    {
        (string x, string y) = _files.Write(100);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));

        Truncate(x, 128);

        var ex = Assert.Throws<InvalidDataException>(() => dataset.GetTensor(50));
        Assert.Contains(x, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteRows_FileTruncatedAfterOpen_ThrowsInvalidData()
    {
        (string x, _) = _files.Write(100);
        using NpyArray array = NpyArray.Open(x, NpyMode.ReadWrite);
        using Tensor row = zeros([1, 2, 3], ScalarType.Int32);

        Truncate(x, 300);

        Assert.Throws<InvalidDataException>(() => array.WriteRows(99, row));
    }

    [Fact]
    public void Gather_FileReplacedByRename_KeepsReadingTheMappedFile()
    {
        (string x, _) = _files.Write(100);
        using NpyArray array = NpyArray.Open(x);
        string other = _files.PathOf("other.npy");
        using (Tensor small = zeros([10, 2, 3], ScalarType.Int32))
            Npy.Save(other, small);

        // A rename swaps the directory entry; the mapping still holds the original file, whole.
        File.Move(other, x, overwrite: true);

        using Tensor rows = array.Gather([99, 5]);
        Assert.Equal(99 * 6 + 5, rows[0, 1, 2].item<int>());
        Assert.Equal(5 * 6, rows[1, 0, 0].item<int>());
        using NpyArray reopened = NpyArray.Open(x);
        Assert.Equal(10, reopened.Length);
    }

    [Fact]
    public void Gather_FileGrownAfterOpen_StillReads()
    {
        (string x, _) = _files.Write(100);
        using NpyArray array = NpyArray.Open(x);
        using (var stream = new FileStream(x, FileMode.Append))
            stream.Write(new byte[4096]);

        using Tensor rows = array.Gather([42]);

        Assert.Equal(42 * 6, rows[0, 0, 0].item<int>());
    }

    public void Dispose() => _files.Dispose();

    private static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.SetLength(length);
    }
}
