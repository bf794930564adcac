using System.Buffers.Binary;
using TorchMmap.Data;
using TorchMmap.Format;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>Each name keeps its own dtype in a batch: big-endian files are swapped, unsigned types widened.</summary>
public sealed class NpyMmapDatasetDTypesTests : IDisposable
{
    private const long Rows = 40;
    private const int RowElements = 3;
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    // Name = descr; the tensor type it loads as; element e of the flat array holds Value(descr, e), exact in both types.
    public static TheoryData<string, ScalarType> Columns() => new()
    {
        { "|b1", ScalarType.Bool },
        { "|i1", ScalarType.Int8 },
        { "|u1", ScalarType.Byte },
        { "<i2", ScalarType.Int16 },
        { ">i2", ScalarType.Int16 },
        { "<u2", ScalarType.Int32 },
        { ">u2", ScalarType.Int32 },
        { ">i4", ScalarType.Int32 },
        { "<u4", ScalarType.Int64 },
        { ">u4", ScalarType.Int64 },
        { ">i8", ScalarType.Int64 },
        { "<f2", ScalarType.Float16 },
        { ">f2", ScalarType.Float16 },
        { ">f4", ScalarType.Float32 },
        { ">f8", ScalarType.Float64 },
    };

    private static double Value(string descr, long e) => descr[1..] switch
    {
        "b1" => e % 3 == 0 ? 1 : 0,
        "i1" => e % 256 - 128,
        "u1" => (e * 7) % 256,
        "i2" => e * 811 - 30000,
        "u2" => 65535 - e * 100,          // above int16's range: must widen, not wrap
        "i4" => e * -100003 + 12345,
        "u4" => 4_000_000_000 + e,         // above int32's range
        "i8" => e * -(1L << 40) + 3,
        "f2" => e * 0.25 - 10,             // exact in half precision
        _ => e * 1.5e-3 - 0.07,            // f4 values are rounded to float before both sides see them
    };

    private static void Encode(string descr, double v, Span<byte> dst)
    {
        bool big = descr[0] == '>';
        switch (descr[1..])
        {
            case "b1": dst[0] = (byte)(v != 0 ? 1 : 0); break;
            case "i1": dst[0] = (byte)(sbyte)v; break;
            case "u1": dst[0] = (byte)v; break;
            case "i2": if (big) BinaryPrimitives.WriteInt16BigEndian(dst, (short)v); else BinaryPrimitives.WriteInt16LittleEndian(dst, (short)v); break;
            case "u2": if (big) BinaryPrimitives.WriteUInt16BigEndian(dst, (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(dst, (ushort)v); break;
            case "i4": if (big) BinaryPrimitives.WriteInt32BigEndian(dst, (int)v); else BinaryPrimitives.WriteInt32LittleEndian(dst, (int)v); break;
            case "u4": if (big) BinaryPrimitives.WriteUInt32BigEndian(dst, (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(dst, (uint)v); break;
            case "i8": if (big) BinaryPrimitives.WriteInt64BigEndian(dst, (long)v); else BinaryPrimitives.WriteInt64LittleEndian(dst, (long)v); break;
            case "f2": if (big) BinaryPrimitives.WriteHalfBigEndian(dst, (Half)v); else BinaryPrimitives.WriteHalfLittleEndian(dst, (Half)v); break;
            case "f4": if (big) BinaryPrimitives.WriteSingleBigEndian(dst, (float)v); else BinaryPrimitives.WriteSingleLittleEndian(dst, (float)v); break;
            default: if (big) BinaryPrimitives.WriteDoubleBigEndian(dst, v); else BinaryPrimitives.WriteDoubleLittleEndian(dst, v); break;
        }
    }

    private string WriteColumn(string descr)
    {
        NpyDType dtype = NpyDType.Parse(descr);
        string path = _files.PathOf($"c{descr[1..]}{(descr[0] == '>' ? "be" : "le")}.npy");
        byte[] bytes = new byte[Rows * RowElements * dtype.ItemSize];
        for (long e = 0; e < Rows * RowElements; e++)
            Encode(descr, Value(descr, e), bytes.AsSpan((int)(e * dtype.ItemSize), dtype.ItemSize));
        using var writer = NpyWriter.Create(path, dtype, [RowElements]);
        writer.Append<byte>(bytes);
        writer.Complete();
        return path;
    }

    // The expected rows, built from the values the test wrote (f4 rounded through float as the file holds it).
    private static Tensor Expected(string descr, ScalarType type, IReadOnlyList<long> indices)
    {
        double[] values = indices.SelectMany(i => Enumerable.Range(0, RowElements).Select(j => Value(descr, i * RowElements + j)))
            .Select(v => descr[1..] == "f4" ? (float)v : v).ToArray();
        return torch.tensor(values, dtype: ScalarType.Float64).to_type(type).reshape(indices.Count, RowElements);
    }

    [Fact]
    public void GetBatch_OneNamePerDType_EachKeepsItsLoadedTypeAndValues()
    {
        TheoryData<string, ScalarType> columns = Columns();
        var arrays = columns.Select(row => ((string)row[0], (ScalarType)row[1])).ToArray();
        using var dataset = NpyMmapDataset.Open(arrays.Select(c => (c.Item1, WriteColumn(c.Item1))).ToArray());
        long[] indices = [39, 0, 1, 2, 17, 17, 5, 38];
        using DisposeScope scope = torch.NewDisposeScope();
        Dictionary<string, Tensor> batch = dataset.GetBatch(indices);
        foreach ((string descr, ScalarType type) in arrays)
        {
            Tensor actual = batch[descr];
            Assert.Equal(type, actual.dtype);
            Assert.Equal(NpyDType.Parse(descr), dataset.GetDType(descr));
            Tensor expected = Expected(descr, type, indices);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.eq(actual).all().item<bool>(), $"'{descr}' rows differ from what was written.");
        }
    }

    [Theory]
    [MemberData(nameof(Columns))]
    public void Loader_DType_BatchesAndSamplesMatchTheWrittenValues(string descr, ScalarType type)
    {
        using var dataset = NpyMmapDataset.Open((descr, WriteColumn(descr)));
        using var loader = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 8, num_workers: 1);
        long[] order = LoaderAssert.RandPerm(Rows, 8);
        int k = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor expected = Expected(descr, type, order.Skip(k++ * 16).Take(16).ToArray());
            Assert.Equal(type, batch[descr].dtype);
            Assert.True(expected.eq(batch[descr]).all().item<bool>());
        }
        Assert.Equal(3, k);

        using DisposeScope sampleScope = torch.NewDisposeScope();
        Tensor sample = dataset.GetTensor(21)[descr];
        Assert.Equal(new long[] { RowElements }, sample.shape);
        Assert.True(Expected(descr, type, [21])[0].eq(sample).all().item<bool>());
    }

    [Fact]
    public void GetBatch_FortranOrderFile_ReturnsRowsInCOrder()
    {
        // Hand-built per the .npy format: the header says fortran_order, and the data runs with the first index fastest.
        const int R = 30;
        string path = _files.PathOf("fortran.npy");
        var header = NpyHeader.Create(NpyDType.Parse(">i4"), [R, 2, 3], fortranOrder: true);
        using (var stream = File.Create(path))
        {
            header.WriteTo(stream);
            byte[] element = new byte[4];
            for (int k = 0; k < 3; k++)
            {
                for (int j = 0; j < 2; j++)
                {
                    for (int i = 0; i < R; i++)
                    {
                        BinaryPrimitives.WriteInt32BigEndian(element, i * 100 + j * 10 + k);
                        stream.Write(element);
                    }
                }
            }
        }
        (_, string y) = _files.Write(R);
        using var dataset = NpyMmapDataset.Open(("f", path), ("label", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 8, shuffle: true, seed: 3);
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            long[] rows = batch["label"].data<long>().ToArray();
            int[] expected = rows.SelectMany(i => new[] { 0, 1, 2, 10, 11, 12 }.Select(v => (int)i * 100 + v)).ToArray();
            Assert.Equal(new long[] { rows.Length, 2, 3 }, batch["f"].shape);
            Assert.Equal(expected, batch["f"].data<int>().ToArray());
        }
        Assert.Equal(1, loader.Epoch);
    }
}
