using System.Text.Json;
using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Documents;

[Trait("Requires", "python")]
public sealed class MegatronReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-megatron-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Prefix, string Out, long[][] Samples) Build(int documents, int seqLength, int numSamples, int seed)
    {
        var random = new Random(seed);
        long[][] docs = Enumerable.Range(0, documents).Select(_ => Enumerable.Range(0, random.Next(1, 3 * seqLength)).Select(_ => (long)random.Next(0, 65535)).ToArray()).ToArray();
        string prefix = DocumentFiles.WriteIndexed(_dir, docs);
        string output = Path.Combine(_dir, $"gpt_{seqLength}_{seed}");
        string json = NumPyScript.Run(MegatronScripts.GptIndices, prefix, seqLength.ToString(System.Globalization.CultureInfo.InvariantCulture), numSamples.ToString(System.Globalization.CultureInfo.InvariantCulture), seed.ToString(System.Globalization.CultureInfo.InvariantCulture), output);
        long[][] samples = JsonSerializer.Deserialize<long[][]>(json)!;
        return (prefix, output, samples);
    }

    [Theory]
    [InlineData(40, 16, 50, 1234)]
    [InlineData(25, 7, 200, 42)]
    [InlineData(3, 32, 10, 7)]
    public void FromMegatronIndex_ReplaysEverySampleOfTheGptDatasetOrder(int documents, int seqLength, int numSamples, int seed)
    {
        (string prefix, string output, long[][] samples) = Build(documents, seqLength, numSamples, seed);
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        using PackedDocumentDataset replay = PackedDocumentDataset.FromMegatronIndex(data, output + "_doc_idx.npy", output + "_sample_idx.npy", output + "_shuffle_idx.npy", seqLength);
        Assert.Equal(samples.Length, replay.Count);
        using var loader = new NpyDataLoader(replay, batchSize: 8, num_workers: 2);
        int i = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            long[] x = batch["x"].data<long>().ToArray(), y = batch["y"].data<long>().ToArray();
            float[] loss = batch["loss_mask"].data<float>().ToArray();
            for (int r = 0; r < batch["x"].shape[0]; r++, i++)
            {
                long[] sample = samples[i];
                Assert.Equal(seqLength + 1, sample.Length);
                Assert.Equal(sample[..seqLength], x.AsSpan(r * seqLength, seqLength).ToArray());
                for (int j = 0; j < seqLength; j++)
                    Assert.Equal(loss[r * seqLength + j] == 1f ? sample[j + 1] : -100, y[r * seqLength + j]);
            }
        }
        Assert.Equal(samples.Length, i);
    }

    [Fact]
    public void FromMegatronIndex_ShuffleEntryOutOfRange_RefusedNamingTheFile()
    {
        (string prefix, string output, long[][] samples) = Build(10, 8, 20, 3);
        string shuffle = Path.Combine(_dir, "bad_shuffle.npy");
        uint[] values = Enumerable.Range(0, samples.Length).Select(v => (uint)v).ToArray();
        values[^1] = (uint)samples.Length;
        File.WriteAllBytes(shuffle, NpyBytes.File($"{{'descr': '<u4', 'fortran_order': False, 'shape': ({values.Length},), }}", System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        var ex = Assert.Throws<InvalidDataException>(() => PackedDocumentDataset.FromMegatronIndex(data, output + "_doc_idx.npy", output + "_sample_idx.npy", shuffle, 8));
        Assert.Contains(shuffle, ex.Message);
        Assert.Contains($"entry {samples.Length - 1} is {samples.Length}", ex.Message);
    }

    [Fact]
    public void FromMegatronIndex_WrongSequenceLength_RefusedNamingTheSampleIndex()
    {
        (string prefix, string output, _) = Build(10, 8, 20, 3);
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        var ex = Assert.Throws<InvalidDataException>(() => PackedDocumentDataset.FromMegatronIndex(data, output + "_doc_idx.npy", output + "_sample_idx.npy", output + "_shuffle_idx.npy", 9));
        Assert.Contains(output + "_sample_idx.npy", ex.Message);
        Assert.Contains("sample 0 spans 9 tokens, but a sample of sequence length 9 spans 10", ex.Message);
    }

    [Fact]
    public void FromMegatronIndex_DocumentIndexPastTheDataset_Refused()
    {
        (string prefix, string output, _) = Build(10, 8, 20, 3);
        string docs = Path.Combine(_dir, "bad_doc_idx.npy");
        int[] values = [0, 1, 10];
        File.WriteAllBytes(docs, NpyBytes.File("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        var ex = Assert.Throws<InvalidDataException>(() => PackedDocumentDataset.FromMegatronIndex(data, docs, output + "_sample_idx.npy", output + "_shuffle_idx.npy", 8));
        Assert.Contains("entry 2 is 10, but the indexed dataset has 10 sequences", ex.Message);
    }

    [Fact]
    public void FromMegatronIndex_SampleIndexOfWrongShape_Refused()
    {
        (string prefix, string output, _) = Build(10, 8, 20, 3);
        using IndexedDataset data = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        var ex = Assert.Throws<InvalidDataException>(() => PackedDocumentDataset.FromMegatronIndex(data, output + "_doc_idx.npy", output + "_doc_idx.npy", output + "_shuffle_idx.npy", 8));
        Assert.Contains("the sample index has shape (samples + 1, 2)", ex.Message);
    }
}
