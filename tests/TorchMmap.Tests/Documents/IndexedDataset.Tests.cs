using System.Buffers.Binary;
using System.Text.Json;
using TorchMmap.Format;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Documents;

public sealed class IndexedDatasetTests : IDisposable
{
    private static readonly long[][][] s_documents =
    [
        [[1, 2, 3], [4]],
        [[5, 6, 7, 8, 9]],
        [[], [10, 11]],
        [[12]],
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-indexed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PythonWrite(string name, string dtype, int code, bool multimodal = false)
    {
        string prefix = Path.Combine(_dir, name);
        NumPyScript.Run(MegatronScripts.Write, prefix, dtype, code.ToString(System.Globalization.CultureInfo.InvariantCulture), JsonSerializer.Serialize(s_documents), multimodal ? "1" : "0");
        return prefix;
    }

    private static void AssertContent(IndexedDataset data)
    {
        long[][] sequences = s_documents.SelectMany(d => d).ToArray();
        Assert.Equal(sequences.Length, data.SequenceCount);
        Assert.Equal(s_documents.Length, data.DocumentCount);
        for (int i = 0; i < sequences.Length; i++)
            Assert.Equal(sequences[i], data.Sequences.Read(i));
        Assert.Equal(new long[] { 0, 2, 3, 5, 6 }, data.ReadDocumentIndices());
        Assert.Equal((2L, 3L), data.SequencesOf(1));
    }

    [Trait("Requires", "python")]
    [Theory]
    [InlineData("uint8", 1)]
    [InlineData("int8", 2)]
    [InlineData("int16", 3)]
    [InlineData("int32", 4)]
    [InlineData("int64", 5)]
    [InlineData("uint16", 8)]
    public void Open_WrittenByMegatronScript_ReadsEveryIntegerDType(string dtype, int code)
    {
        string prefix = PythonWrite("p_" + dtype, dtype, code);
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        Assert.Equal(code, data.Header.DTypeCode);
        AssertContent(data);
    }

    [Trait("Requires", "python")]
    [Theory]
    [InlineData(IndexedDatasetConvention.Megatron, "float64", 6)]
    [InlineData(IndexedDatasetConvention.Megatron, "float32", 7)]
    [InlineData(IndexedDatasetConvention.GptNeoX, "float32", 6)]
    [InlineData(IndexedDatasetConvention.GptNeoX, "float64", 7)]
    public void Open_FloatCodes_FollowTheChosenConvention(IndexedDatasetConvention convention, string dtype, int code)
    {
        string prefix = PythonWrite("f_" + dtype + code, dtype, code);
        using IndexedDataset data = IndexedDataset.Open(prefix, convention);
        Assert.Equal(dtype == "float32" ? 4 : 8, data.Header.DType.ItemSize);
        Assert.Equal(NpyKind.Float, data.Header.DType.Kind);
        long[] second = s_documents[1][0];
        if (dtype == "float32")
        {
            float[] values = new float[second.Length];
            data.Sequences.CopyRaw<float>(2, 0, values);
            Assert.Equal(second.Select(v => (float)v), values);
        }
        else
        {
            double[] values = new double[second.Length];
            data.Sequences.CopyRaw<double>(2, 0, values);
            Assert.Equal(second.Select(v => (double)v), values);
        }
    }

    [Trait("Requires", "python")]
    [Fact]
    public void Open_FloatFileUnderTheOtherConvention_ReadsOtherWidthAndIsRefusedOrDifferent()
    {
        // A float64 file (code 6 in Megatron) read as GPT-NeoX says float32: the .bin then holds twice the items, so the
        // pointers still fit; the values differ, which is why the convention is the caller's explicit choice.
        string prefix = PythonWrite("conv", "float64", 6);
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.GptNeoX);
        Assert.Equal(4, data.Header.DType.ItemSize);
        Assert.Throws<InvalidDataException>(() => IndexedDataset.Open(PythonWrite("conv32", "float32", 7), IndexedDatasetConvention.GptNeoX));
    }

    [Trait("Requires", "python")]
    [Fact]
    public void Open_MultimodalIndex_ReadsModesOnlyWhenAsked()
    {
        string prefix = PythonWrite("mm", "uint16", 8, multimodal: true);
        var ex = Assert.Throws<InvalidDataException>(() => IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron));
        Assert.Contains("multimodal: true", ex.Message);
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron, multimodal: true);
        AssertContent(data);
        long[][] sequences = s_documents.SelectMany(d => d).ToArray();
        for (int i = 0; i < sequences.Length; i++)
            Assert.Equal(sequences[i].Length % 3, data.ModeOf(i));
    }

    [Trait("Requires", "python")]
    [Theory]
    [InlineData(IndexedDatasetConvention.Megatron, false)]
    [InlineData(IndexedDatasetConvention.GptNeoX, true)]
    public void Writer_Output_IsReadByTheMegatronReaderScript(IndexedDatasetConvention convention, bool multimodal)
    {
        string prefix = Path.Combine(_dir, "ours");
        using (IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.UInt16, convention, multimodal))
        {
            foreach (long[][] doc in s_documents)
            {
                foreach (long[] seq in doc)
                    writer.AddSequence(seq, multimodal ? (sbyte)(seq.Length % 3) : (sbyte)0);
                writer.EndDocument();
            }
            writer.Complete();
        }
        string table = convention == IndexedDatasetConvention.GptNeoX
            ? """{"1":"uint8","2":"int8","3":"int16","4":"int32","5":"int64","6":"float32","7":"float64","8":"uint16"}"""
            : """{"1":"uint8","2":"int8","3":"int16","4":"int32","5":"int64","6":"float64","7":"float32","8":"uint16"}""";
        using JsonDocument read = JsonDocument.Parse(NumPyScript.Run(MegatronScripts.Read, prefix, table, multimodal ? "1" : "0"));
        Assert.Equal(8, read.RootElement.GetProperty("code").GetInt32());
        long[][] sequences = s_documents.SelectMany(d => d).ToArray();
        long[][] theirs = read.RootElement.GetProperty("sequences").EnumerateArray().Select(s => s.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        Assert.Equal(sequences, theirs);
        Assert.Equal(new long[] { 0, 2, 3, 5, 6 }, read.RootElement.GetProperty("documents").EnumerateArray().Select(v => v.GetInt64()));
        // Byte for byte: the script writing the same documents makes the same two files.
        string script = PythonWrite("theirs", "uint16", 8, multimodal);
        Assert.Equal(File.ReadAllBytes(script + ".bin"), File.ReadAllBytes(prefix + ".bin"));
        Assert.Equal(File.ReadAllBytes(script + ".idx"), File.ReadAllBytes(prefix + ".idx"));
    }

    [Fact]
    public void Writer_FloatDataset_ConventionDecidesTheCode()
    {
        foreach ((IndexedDatasetConvention convention, byte code) in new[] { (IndexedDatasetConvention.Megatron, (byte)7), (IndexedDatasetConvention.GptNeoX, (byte)6) })
        {
            string prefix = Path.Combine(_dir, "f" + code);
            using (IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.Float32, convention))
            {
                writer.AddSequence([1.5, 2.5]);
                writer.Complete();
            }
            Assert.Equal(code, File.ReadAllBytes(prefix + ".idx")[17]);
            using IndexedDataset data = IndexedDataset.Open(prefix, convention);
            float[] values = new float[2];
            data.Sequences.CopyRaw<float>(0, 0, values);
            Assert.Equal(new[] { 1.5f, 2.5f }, values);
        }
    }

    [Fact]
    public void Writer_ValueOutsideDType_RefusedBeforeWriting()
    {
        string prefix = Path.Combine(_dir, "range");
        using IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.UInt16, IndexedDatasetConvention.Megatron);
        var ex = Assert.Throws<ArgumentException>(() => writer.AddSequence([1, 65536]));
        Assert.Contains("65536 at position 1", ex.Message);
        Assert.Equal(0, writer.SequenceCount);
    }

    [Fact]
    public void Writer_DisposedBeforeComplete_LeavesThePreviousDatasetUntouched()
    {
        string prefix = DocumentFiles.WriteIndexed(_dir, [[1, 2, 3]], "kept");
        byte[] idx = File.ReadAllBytes(prefix + ".idx"), bin = File.ReadAllBytes(prefix + ".bin");
        using (IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.UInt16, IndexedDatasetConvention.Megatron))
            writer.AddDocument([9, 9, 9, 9]);
        Assert.Equal(idx, File.ReadAllBytes(prefix + ".idx"));
        Assert.Equal(bin, File.ReadAllBytes(prefix + ".bin"));
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }

    [Fact]
    public void Writer_NoValues_CompleteThrowsNamingTheFileAndTheWriterStaysOpen()
    {
        // A .bin of no values is an empty file, which neither this reader nor Megatron's np.memmap can map.
        string prefix = Path.Combine(_dir, "empty");
        using (IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.UInt16, IndexedDatasetConvention.Megatron))
        {
            var none = Assert.Throws<InvalidOperationException>(writer.Complete);
            writer.AddDocument([]);
            var emptyOnly = Assert.Throws<InvalidOperationException>(writer.Complete);
            Assert.Contains(prefix + ".bin", none.Message, StringComparison.Ordinal);
            Assert.Contains("no values", emptyOnly.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(_dir, "empty.*"));

            writer.AddDocument([5, 6]);
            writer.Complete();
        }
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        Assert.Equal(2, data.Sequences.Count);
        Assert.Equal(new long[] { 0, 1, 2 }, data.ReadDocumentIndices());
    }

    [Fact]
    public void Writer_SequencesAfterLastEndDocument_FormALastDocument()
    {
        string prefix = Path.Combine(_dir, "open");
        using (IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.Int32, IndexedDatasetConvention.Megatron))
        {
            writer.AddDocument([1]);
            writer.AddSequence([2]);
            writer.Complete();
            Assert.Throws<InvalidOperationException>(() => writer.AddSequence([3]));
        }
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        Assert.Equal(new long[] { 0, 1, 2 }, data.ReadDocumentIndices());
    }

    // Hand-built indexes: a valid one of two uint16 sequences ([3 tokens], [2 tokens]) in one document, then each field broken.
    private static byte[] Index(Action<byte[]>? edit = null, int extra = 0, ulong? sequences = null, ulong? documents = null)
    {
        byte[] bytes = new byte[34 + 2 * 12 + 2 * 8 + extra];
        "MMIDIDX\0\0"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(9), 1);
        bytes[17] = 8;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(18), sequences ?? 2);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(26), documents ?? 2);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), 3);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(38), 2);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(42), 0);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(50), 6);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(58), 0);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(66), 2);
        edit?.Invoke(bytes);
        return bytes;
    }

    public static TheoryData<string, byte[], string> BadIndexes => new()
    {
        { "short", Index()[..33], "too short for a Megatron index header (34 bytes)" },
        { "magic", Index(b => b[3] = (byte)'X'), "4D-4D-49-58-49-44-58-00-00" },
        { "version", Index(b => b[9] = 2), "version at offset 9 is 2" },
        { "code0", Index(b => b[17] = 0), "dtype code at offset 17 is 0" },
        { "code9", Index(b => b[17] = 9), "dtype code at offset 17 is 9" },
        { "nodocs", Index(documents: 0), "document count at offset 26 is 0" },
        { "huge", Index(sequences: ulong.MaxValue / 2), "more than a 64-bit file holds" },
        { "count", Index(sequences: 3), "need exactly" },
        { "trailing", Index(extra: 1), "need exactly" },
        { "negative", Index(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(38), -2)), "sequence 1 has length -2 (int32 at offset 38)" },
        { "misaligned", Index(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(50), 5)), "starts at byte 5 of the data file (int64 at offset 50), which is not a multiple of the 2-byte item size" },
        { "pastbin", Index(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(50), 8)), "sequence 1 spans bytes [8, 12)" },
        { "negpointer", Index(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(42), -2)), "sequence 0 spans bytes [-2, 4)" },
        { "longseq", Index(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(34), int.MaxValue)), "sequence 0 spans bytes [0, 4294967294)" },
        { "firstdoc", Index(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(58), 1)), "first document index (offset 58) is 1" },
        { "lastdoc", Index(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(66), 1)), "last document index (offset 66) is 1; it must be the sequence count, 2" },
    };

    [Theory]
    [MemberData(nameof(BadIndexes))]
    public void Open_MalformedIndex_RefusedNamingTheFileAndPlace(string name, byte[] index, string expected)
    {
        string prefix = Path.Combine(_dir, name);
        File.WriteAllBytes(prefix + ".idx", index);
        File.WriteAllBytes(prefix + ".bin", new byte[10]);
        var ex = Assert.Throws<InvalidDataException>(() => IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron));
        Assert.Contains(prefix + ".idx", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Open_DecreasingDocumentIndices_Refused()
    {
        string prefix = Path.Combine(_dir, "dec");
        byte[] index = Index(extra: 8, documents: 3);
        BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(58), 0);
        BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(66), 2);
        BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(74), 1);
        File.WriteAllBytes(prefix + ".idx", index);
        File.WriteAllBytes(prefix + ".bin", new byte[10]);
        var ex = Assert.Throws<InvalidDataException>(() => IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron));
        Assert.Contains("document index 1 at position 2 (offset 74) is less than 2", ex.Message);
    }

    [Fact]
    public void Open_OddLengthData_RefusedNamingTheDataFile()
    {
        string prefix = Path.Combine(_dir, "odd");
        File.WriteAllBytes(prefix + ".idx", Index());
        File.WriteAllBytes(prefix + ".bin", new byte[11]);
        var ex = Assert.Throws<InvalidDataException>(() => IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron));
        Assert.Contains(prefix + ".bin", ex.Message);
    }

    [Fact]
    public void Open_ValidHandBuiltIndex_Reads()
    {
        string prefix = Path.Combine(_dir, "good");
        File.WriteAllBytes(prefix + ".idx", Index());
        File.WriteAllBytes(prefix + ".bin", [1, 0, 2, 0, 3, 0, 4, 0, 5, 0]);
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        Assert.Equal(new long[] { 1, 2, 3 }, data.Sequences.Read(0));
        Assert.Equal(new long[] { 4, 5 }, data.Sequences.Read(1));
        Assert.Equal(1, data.DocumentCount);
    }

    [Fact]
    public void Open_MissingFile_FileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => IndexedDataset.Open(Path.Combine(_dir, "none"), IndexedDatasetConvention.Megatron));
    }
}
