using System.Runtime.InteropServices;
using TorchMmap.Format;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Documents;

public sealed class RaggedArrayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-ragged-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Npy(string name, string descr, string shape, byte[] data)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, NpyBytes.File($"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}", data));
        return path;
    }

    private string Values(int count) => Npy("values.npy", "<u2", $"({count},)", MemoryMarshal.AsBytes(Enumerable.Range(0, count).Select(i => (ushort)(100 + i)).ToArray().AsSpan()).ToArray());

    private string Longs(string name, params long[] values) => Npy(name, "<i8", $"({values.Length},)", MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    [Fact]
    public void Open_Offsets_RowsAreSlicesOfTheValues()
    {
        using RaggedArray ragged = RaggedArray.Open(Values(10), Longs("offsets.npy", 0, 3, 3, 7, 10));
        Assert.Equal(4, ragged.Count);
        Assert.Equal(new long[] { 100, 101, 102 }, ragged.Read(0));
        Assert.Empty(ragged.Read(1));
        Assert.Equal(new long[] { 103, 104, 105, 106 }, ragged.Read(2));
        Assert.Equal(3, ragged.LengthOf(3));
        ushort[] raw = new ushort[2];
        ragged.CopyRaw<ushort>(2, 1, raw);
        Assert.Equal(new ushort[] { 104, 105 }, raw);
    }

    [Fact]
    public void OpenWithLengths_Lengths_RowsFollowEachOther()
    {
        using RaggedArray ragged = RaggedArray.OpenWithLengths(Values(10), Longs("lengths.npy", 2, 0, 5));
        Assert.Equal(3, ragged.Count);
        Assert.Equal(new long[] { 102, 103, 104, 105, 106 }, ragged.Read(2));
    }

    [Fact]
    public void FromArrays_RawArrays_ReadLikeNpyPairs()
    {
        string values = Path.Combine(_dir, "values.bin");
        File.WriteAllBytes(values, MemoryMarshal.AsBytes(new uint[] { 7, 8, 9, 10 }.AsSpan()).ToArray());
        string offsets = Path.Combine(_dir, "offsets.bin");
        File.WriteAllBytes(offsets, MemoryMarshal.AsBytes(new int[] { 0, 1, 4 }.AsSpan()).ToArray());
        using RaggedArray ragged = RaggedArray.FromArrays(NpyArray.OpenRaw(values, NpyDType.Parse("<u4")), NpyArray.OpenRaw(offsets, NpyDType.Parse("<i4")), ownsArrays: true);
        Assert.Equal(new long[] { 8, 9, 10 }, ragged.Read(1));
    }

    [Theory]
    [InlineData(new long[] { 0, 3, 2, 10 }, "offset 2 at position 2 is less than offset 3")]
    [InlineData(new long[] { 0, 3, 11 }, "offset 11 at position 2 is outside the values array")]
    [InlineData(new long[] { -1, 3 }, "offset -1 at position 0 is outside")]
    public void Open_BadOffsets_RefusedNamingTheOffsetsFile(long[] offsets, string expected)
    {
        string path = Longs("bad_offsets.npy", offsets);
        var ex = Assert.Throws<InvalidDataException>(() => RaggedArray.Open(Values(10), path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Open_UInt64Offsets_NotSupportedAsAnyUInt64Npy()
    {
        string path = Npy("u8.npy", "<u8", "(2,)", MemoryMarshal.AsBytes(new ulong[] { 0, ulong.MaxValue }.AsSpan()).ToArray());
        var ex = Assert.Throws<NotSupportedException>(() => RaggedArray.Open(Values(10), path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Open_EmptyOffsets_Refused()
    {
        string path = Npy("empty.npy", "<i8", "(0,)", []);
        var ex = Assert.Throws<InvalidDataException>(() => RaggedArray.Open(Values(10), path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("n + 1 offsets", ex.Message);
    }

    [Fact]
    public void Open_FloatOffsets_Refused()
    {
        string path = Npy("f.npy", "<f8", "(2,)", MemoryMarshal.AsBytes(new double[] { 0, 1 }.AsSpan()).ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => RaggedArray.Open(Values(10), path));
        Assert.Contains("ragged offsets are integers", ex.Message);
    }

    [Fact]
    public void Open_TwoDimensionalOffsets_Refused()
    {
        string path = Npy("2d.npy", "<i8", "(1, 2)", MemoryMarshal.AsBytes(new long[] { 0, 1 }.AsSpan()).ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => RaggedArray.Open(Values(10), path));
        Assert.Contains("ragged offsets are 1-d", ex.Message);
    }

    [Theory]
    [InlineData(new long[] { 2, -1 }, "length -1 at position 1 is negative")]
    [InlineData(new long[] { 6, 5 }, "up to position 1 add up to 11 elements")]
    public void OpenWithLengths_BadLengths_RefusedNamingTheFile(long[] lengths, string expected)
    {
        string path = Longs("bad_lengths.npy", lengths);
        var ex = Assert.Throws<InvalidDataException>(() => RaggedArray.OpenWithLengths(Values(10), path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Open_BadOffsets_ClosesBothFiles()
    {
        string values = Values(10);
        string path = Longs("bad.npy", 0, 11);
        Assert.Throws<InvalidDataException>(() => RaggedArray.Open(values, path));
        // Nothing stays mapped: both files can be deleted and recreated.
        File.Delete(values);
        File.Delete(path);
    }

    [Fact]
    public void Read_OutOfRangeRow_Throws()
    {
        using RaggedArray ragged = RaggedArray.Open(Values(10), Longs("offsets.npy", 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ragged.Read(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ragged.Read(-1));
    }

    [Fact]
    public void Read_AfterDispose_ThrowsObjectDisposed()
    {
        RaggedArray ragged = RaggedArray.Open(Values(10), Longs("offsets.npy", 0, 10));
        ragged.Dispose();
        ragged.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ragged.Read(0));
    }

    [Fact]
    public void Read_FloatValues_NotSupported()
    {
        string values = Npy("fv.npy", "<f4", "(2,)", MemoryMarshal.AsBytes(new float[] { 1, 2 }.AsSpan()).ToArray());
        using RaggedArray ragged = RaggedArray.Open(values, Longs("offsets.npy", 0, 2));
        Assert.Throws<NotSupportedException>(() => ragged.Read(0));
        float[] raw = new float[2];
        ragged.CopyRaw<float>(0, 0, raw);
        Assert.Equal(new float[] { 1, 2 }, raw);
    }
}
