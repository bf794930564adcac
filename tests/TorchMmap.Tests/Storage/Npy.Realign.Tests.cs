using TorchMmap.Format;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary><see cref="Npy.Realign"/>: a copy of a .npy file with its data on a page, read by NumPy as the same array.</summary>
public sealed class NpyRealignTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-realign-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Realign_FilesNumPyWrote_NumPyReadsTheSameArraysWithDataOnAPage()
    {
        // np.save's own files: C and Fortran order, both byte orders, bool, 0-d and empty arrays.
        NumPyScript.Run("""
import sys, os
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(5)
np.save(os.path.join(d, 'images.npy'), rng.standard_normal((5, 3, 32, 32)).astype(np.float32))
np.save(os.path.join(d, 'fortran-big.npy'), np.asfortranarray(np.arange(24, dtype='>i2').reshape(4, 6)))
np.save(os.path.join(d, 'bool.npy'), np.array([True, False, True, True, False, False, True]))
np.save(os.path.join(d, 'scalar.npy'), np.float64(2.5))
np.save(os.path.join(d, 'empty.npy'), np.zeros((0, 3), dtype=np.uint8))
""", _dir);
        string[] names = ["images", "fortran-big", "bool", "scalar", "empty"];
        foreach (string name in names)
        {
            NpyHeader source = NpyHeader.Read(PathOf(name + ".npy"));
            NpyHeader copy = Npy.Realign(PathOf(name + ".npy"), PathOf(name + "-aligned.npy"));
            Assert.Equal(0, copy.DataOffset % 4096);
            Assert.Equal(source.Descr, copy.Descr);
            Assert.Equal(source.Shape, copy.Shape);
            Assert.Equal(source.FortranOrder, copy.FortranOrder);
            Assert.Equal(copy.DataOffset + copy.DataLength, new FileInfo(PathOf(name + "-aligned.npy")).Length);
        }

        string seen = NumPyScript.Run("""
import sys, os
import numpy as np
d = sys.argv[1]
for name in sys.argv[2:]:
    a = np.load(os.path.join(d, name + '.npy'))
    path = os.path.join(d, name + '-aligned.npy')
    b = np.load(path)
    with open(path, 'rb') as f:
        version = np.lib.format.read_magic(f)
        (np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0)(f)
        offset = f.tell()
    same = a.dtype == b.dtype and a.shape == b.shape and a.flags.f_contiguous == b.flags.f_contiguous and np.array_equal(a, b)
    print(name, offset, same)
""", [_dir, .. names]);
        Assert.Equal(names.Select(n => $"{n} 4096 True"), seen.Trim().Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public void Realign_OntoItself_ReplacesTheFileWithTheAlignedCopy()
    {
        string path = PathOf("x.npy");
        using Tensor data = arange(0, 2 * 3 * 1024, dtype: ScalarType.Float32).reshape(2, 3, 1024);
        Npy.Save(path, data);
        Assert.Equal(128, NpyHeader.Read(path).DataOffset);

        NpyHeader copy = Npy.Realign(path, path, dataAlignment: 8192);

        Assert.Equal(8192, copy.DataOffset);
        Assert.Equal(8192, NpyHeader.Read(path).DataOffset);
        using Tensor back = Npy.Load(path);
        Assert.True(back.eq(data).all().item<bool>());
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Realign_SourceShorterThanItsHeaderSays_ThrowsNamingItAndLeavesTheDestinationAlone()
    {
        string source = PathOf("cut.npy"), destination = PathOf("out.npy");
        using (Tensor data = arange(100, dtype: ScalarType.Int64))
            Npy.Save(source, data);
        // np.save's header for 100 int64 is 128 bytes; keep 10 of the 800 data bytes.
        using (var f = new FileStream(source, FileMode.Open))
            f.SetLength(128 + 10);
        File.WriteAllText(destination, "kept");

        var ex = Assert.Throws<InvalidDataException>(() => Npy.Realign(source, destination));

        Assert.Contains(source, ex.Message, StringComparison.Ordinal);
        Assert.Contains("needs 800 bytes of data from offset 128, but the file has only 138", ex.Message, StringComparison.Ordinal);
        Assert.Equal("kept", File.ReadAllText(destination));
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(16384)]
    public void Realign_AlignmentNotAMultipleOf64UpTo8192_ThrowsBeforeWriting(int alignment)
    {
        string source = PathOf("x.npy");
        using (Tensor data = arange(10, dtype: ScalarType.Int32))
            Npy.Save(source, data);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Npy.Realign(source, PathOf("out.npy"), alignment));

        Assert.Equal("dataAlignment", ex.ParamName);
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Realign_NotAnNpyFile_ThrowsInvalidDataNamingIt()
    {
        string source = PathOf("text.npy");
        File.WriteAllText(source, "not an array at all");

        var ex = Assert.Throws<InvalidDataException>(() => Npy.Realign(source, PathOf("out.npy")));

        Assert.Contains(source, ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("out.npy")));
    }
}
