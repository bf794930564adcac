using TorchMmap.Format;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary>Files NumPy wrote, read through every path: whole loads, row ranges, gathers and .npz archives.</summary>
[Collection(NumPyFilesCollection.Name)]
[Trait("Requires", "python")]
public sealed class NumPyFilesReadTests(NumPyFiles files)
{
    private byte[] Raw(string name) => File.ReadAllBytes(files.PathOf(name + ".raw"));

    [Fact]
    public void Manifest_CoversEveryDtypeInBothByteOrdersAndEveryLayout()
    {
        string[] descrs = files.Arrays.Select(a => a.Descr).Distinct().ToArray();
        foreach (string code in new[] { "i2", "u2", "i4", "u4", "i8", "f2", "f4", "f8", "c8", "c16" })
        {
            Assert.Contains("<" + code, descrs);
            Assert.Contains(">" + code, descrs);
        }
        Assert.Contains("|b1", descrs);
        Assert.Contains("|i1", descrs);
        Assert.Contains("|u1", descrs);
        Assert.Contains(files.Arrays, a => a.Fortran && a.Shape.Length == 3);
        Assert.Contains(files.Arrays, a => a.Shape.Length == 0);
        Assert.Contains(files.Arrays, a => a.Shape.Length > 0 && a.Shape[0] == 0);
    }

    [Fact]
    public void Open_EveryNumPyFile_ReportsItsDescrShapeOrderAndLoadType()
    {
        foreach (NumPyFiles.ArrayFile file in files.Arrays)
        {
            using NpyArray array = NpyArray.Open(files.PathOf(file.Name + ".npy"));
            Assert.Equal(file.Descr, array.Header.Descr);
            Assert.Equal(file.Shape, array.Shape);
            Assert.Equal(file.Fortran, array.IsFortranOrder);
            Assert.Equal(NumPyFiles.ScalarTypeOf(file.Loaded), array.DType.ScalarType);
        }
    }

    [Fact]
    public void Load_EveryNumPyFile_EqualsNumPysValuesByteForByte()
    {
        foreach (NumPyFiles.ArrayFile file in files.Arrays)
        {
            using Tensor tensor = Npy.Load(files.PathOf(file.Name + ".npy"));
            Assert.Equal(file.Shape, tensor.shape);
            Assert.Equal(NumPyFiles.ScalarTypeOf(file.Loaded), tensor.dtype);
            TensorBytes.Equal(Raw(file.Name), TensorBytes.Of(tensor), $"Npy.Load of {file}");
        }
    }

    [Fact]
    public void ReadRows_EveryNumPyFile_EachRangeEqualsThoseRowsOfNumPysValues()
    {
        foreach (NumPyFiles.ArrayFile file in files.Arrays.Where(a => a.Shape.Length > 0))
        {
            using NpyArray array = NpyArray.Open(files.PathOf(file.Name + ".npy"));
            byte[] raw = Raw(file.Name);
            long n = array.Length;
            long rowBytes = n == 0 ? 0 : raw.Length / n;
            (long Start, long Count)[] ranges = [(0, n), (n, 0), (n - 1, Math.Min(1, n)), (Math.Min(1, n), Math.Max(0, n - 2)), (n / 2, n - n / 2)];
            foreach ((long start, long count) in ranges.Where(r => r.Start >= 0 && r.Count >= 0))
            {
                using Tensor rows = array.ReadRows(start, count);
                Assert.Equal(array.BatchShape(count), rows.shape);
                byte[] expected = raw.AsSpan((int)(start * rowBytes), (int)(count * rowBytes)).ToArray();
                TensorBytes.Equal(expected, TensorBytes.Of(rows), $"ReadRows({start}, {count}) of {file}");
            }
        }
    }

    [Fact]
    public void Gather_EveryNumPyFile_EqualsNumPysFancyIndexing()
    {
        foreach (NumPyFiles.ArrayFile file in files.Arrays.Where(a => a.Indices.Length > 0))
        {
            using NpyArray array = NpyArray.Open(files.PathOf(file.Name + ".npy"));
            byte[] expected = File.ReadAllBytes(files.PathOf(file.Name + ".gather.raw"));
            using Tensor batch = array.Gather(file.Indices);
            Assert.Equal(array.BatchShape(file.Indices.Length), batch.shape);
            TensorBytes.Equal(expected, TensorBytes.Of(batch), $"Gather of {file}");

            using Tensor parallel = array.Gather(file.Indices, threads: 2);
            TensorBytes.Equal(expected, TensorBytes.Of(parallel), $"Gather on 2 threads of {file}");

            using Tensor into = empty(array.BatchShape(file.Indices.Length), dtype: array.DType.ScalarType);
            array.GatherInto(file.Indices, into);
            TensorBytes.Equal(expected, TensorBytes.Of(into), $"GatherInto of {file}");
        }
    }

    [Fact]
    public void Gather_IndexOutOfRange_ThrowsArgumentOutOfRangeForEveryDtype()
    {
        foreach (NumPyFiles.ArrayFile file in files.Arrays.Where(a => a.Shape.Length > 0))
        {
            using NpyArray array = NpyArray.Open(files.PathOf(file.Name + ".npy"));
            long n = array.Length;
            Assert.Throws<ArgumentOutOfRangeException>(() => array.Gather([0, n]).Dispose());
            Assert.Throws<ArgumentOutOfRangeException>(() => array.Gather([-1]).Dispose());
            Assert.Throws<ArgumentOutOfRangeException>(() => array.Gather([long.MinValue]).Dispose());
            Assert.Throws<ArgumentOutOfRangeException>(() => array.ReadRows(n, 1).Dispose());
            Assert.Throws<ArgumentOutOfRangeException>(() => array.ReadRows(-1, 1).Dispose());
            Assert.Throws<ArgumentOutOfRangeException>(() => array.ReadRows(0, n + 1).Dispose());
            Assert.Throws<ArgumentOutOfRangeException>(() => array.ReadRows(1, long.MaxValue).Dispose());
        }
    }

    [Fact]
    public void Gather_IndexOutOfRange_MessageNamesTheIndexAndTheFile()
    {
        NumPyFiles.ArrayFile file = files.Arrays.First(a => a.Name == "f4-le");
        string path = files.PathOf(file.Name + ".npy");
        using NpyArray array = NpyArray.Open(path);
        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => array.Gather([3, 0, 7]).Dispose());
        Assert.Contains("7", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Header_EveryFileNpSaveWrote_EqualsNpyHeaderCreateByteForByte()
    {
        foreach (NumPyFiles.ArrayFile file in files.Arrays.Where(a => a.WrittenByNpSave))
        {
            string path = files.PathOf(file.Name + ".npy");
            NpyHeader read = NpyHeader.Read(path);
            byte[] written = NpyHeader.Create(read.DType, file.Shape, file.Fortran).ToArray();
            byte[] numpy = File.ReadAllBytes(path)[..(int)read.DataOffset];
            Assert.True(numpy.AsSpan().SequenceEqual(written), $"{file}: NumPy wrote {System.Text.Encoding.Latin1.GetString(numpy[10..])}; Create wrote {System.Text.Encoding.Latin1.GetString(written[10..])}");
        }
    }

    [Fact]
    public void ToTensor_ZeroDimensionalFile_IsAScalarAndHasNoRows()
    {
        foreach (NumPyFiles.ArrayFile file in files.Arrays.Where(a => a.Shape.Length == 0))
        {
            using NpyArray array = NpyArray.Open(files.PathOf(file.Name + ".npy"));
            using Tensor scalar = array.ToTensor();
            Assert.Equal(0, scalar.dim());
            TensorBytes.Equal(Raw(file.Name), TensorBytes.Of(scalar), $"ToTensor of {file}");
            Assert.Throws<InvalidOperationException>(() => array.Length);
            Assert.Throws<InvalidOperationException>(() => array.ReadRows(0, 1).Dispose());
            Assert.Throws<InvalidOperationException>(() => array.Gather([0]).Dispose());
        }
    }

    [Fact]
    public void LoadNpz_StoredAndCompressed_EqualNumPysValues()
    {
        foreach (NumPyFiles.ArchiveFile archive in files.Archives)
        {
            Dictionary<string, Tensor> loaded = Npy.LoadNpz(files.PathOf(archive.File));
            try
            {
                Assert.Equal(archive.Arrays.Select(a => a.Name).Order(), loaded.Keys.Order());
                foreach (NumPyFiles.ArchiveMember member in archive.Arrays)
                {
                    Tensor t = loaded[member.Name];
                    Assert.Equal(member.Shape, t.shape);
                    Assert.Equal(NumPyFiles.ScalarTypeOf(member.Loaded), t.dtype);
                    TensorBytes.Equal(Raw("npz-" + member.Name), TensorBytes.Of(t), $"{archive.File}[{member.Name}]");
                }
            }
            finally
            {
                foreach (Tensor t in loaded.Values)
                    t.Dispose();
            }
        }
    }

    [Fact]
    public void OpenNpzEntry_StoredArchive_MapsEachArrayInPlace()
    {
        string path = files.PathOf("stored.npz");
        NpzArchive directory = NpzArchive.Read(path);
        Assert.All(directory.Entries, e => Assert.True(e.IsStored));
        foreach (NumPyFiles.ArchiveMember member in files.Archives.Single(a => a.File == "stored.npz").Arrays)
        {
            using NpyArray array = NpyArray.OpenNpzEntry(path, member.Name);
            Assert.Equal(member.Descr, array.Header.Descr);
            Assert.Equal(member.Shape, array.Shape);
            Assert.Contains(path, array.Path);
            // In place: the data lies inside the archive, after the entry's zip headers.
            NpzEntry entry = directory.Find(member.Name);
            Assert.Equal(entry.DataOffset + array.Header.DataOffset, array.DataStart);
            byte[] raw = Raw("npz-" + member.Name);
            using Tensor all = array.ToTensor();
            TensorBytes.Equal(raw, TensorBytes.Of(all), $"mapped stored.npz[{member.Name}]");
            if (array.Rank > 0 && array.Length > 1)
            {
                long rowBytes = raw.Length / array.Length;
                using Tensor rows = array.Gather([array.Length - 1, 0]);
                byte[] expected = [.. raw.AsSpan((int)((array.Length - 1) * rowBytes), (int)rowBytes), .. raw.AsSpan(0, (int)rowBytes)];
                TensorBytes.Equal(expected, TensorBytes.Of(rows), $"Gather of stored.npz[{member.Name}]");
            }
        }
    }

    [Fact]
    public void OpenNpzEntry_CompressedArchive_IsRefusedSayingHowToLoadIt()
    {
        string path = files.PathOf("compressed.npz");
        Assert.All(NpzArchive.Read(path).Entries, e => Assert.False(e.IsStored));
        NotSupportedException ex = Assert.Throws<NotSupportedException>(() => NpyArray.OpenNpzEntry(path, "a"));
        Assert.Contains(path, ex.Message);
        Assert.Contains("compressed", ex.Message);
        Assert.Contains("Npy.LoadNpz", ex.Message);
    }

    [Fact]
    public void OpenNpzEntry_NoSuchArray_ThrowsKeyNotFoundNamingTheArchive()
    {
        string path = files.PathOf("stored.npz");
        KeyNotFoundException ex = Assert.Throws<KeyNotFoundException>(() => NpyArray.OpenNpzEntry(path, "missing"));
        Assert.Contains(path, ex.Message);
        Assert.Contains("missing", ex.Message);
    }
}
