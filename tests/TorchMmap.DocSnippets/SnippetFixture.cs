using TorchMmap.Format;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.DocSnippets;

/// <summary>
/// The files the documentation's snippets name, written into a fresh folder by the library's writers: images and
/// labels (also as shards and an .npz), a headerless float32 array, token files of every format the docs open, and
/// a short text to tokenize.
/// </summary>
public static class SnippetFixture
{
    /// <summary>Samples in x.npy / y.npy.</summary>
    public const int Samples = 600;

    /// <summary>Tokens in each token file: enough for several 1024-token windows.</summary>
    public const int Tokens = 20_000;

    /// <summary>Writes the files into a new temporary folder and returns its path.</summary>
    public static string Create()
    {
        string dir = Directory.CreateTempSubdirectory("torchmmap-snippets-").FullName;
        using (var scope = NewDisposeScope())
        {
            var gen = new Generator().manual_seed(7);
            Tensor images = randint(0, 256, [Samples, 1, 28, 28], dtype: ScalarType.Byte, generator: gen);
            Tensor labels = randint(0, 10, [Samples], dtype: ScalarType.Int64, generator: gen);
            Npy.Save(Path.Combine(dir, "x.npy"), images);
            Npy.Save(Path.Combine(dir, "y.npy"), labels);
            for (int shard = 0; shard < 2; shard++)
            {
                Npy.Save(Path.Combine(dir, $"x-00{shard}.npy"), images.narrow(0, shard * (Samples / 2), Samples / 2));
                Npy.Save(Path.Combine(dir, $"y-00{shard}.npy"), labels.narrow(0, shard * (Samples / 2), Samples / 2));
            }
            Npy.SaveNpz(Path.Combine(dir, "data.npz"), new Dictionary<string, Tensor> { ["image"] = images, ["label"] = labels });
            File.WriteAllBytes(Path.Combine(dir, "x.bin"), new byte[1000 * 16 * sizeof(float)]);
        }
        long[] tokens = Enumerable.Range(0, Tokens).Select(i => (long)(i * 7 % 50_000)).ToArray();
        WriteTokens(Path.Combine(dir, "train.bin"), TokenFileFormat.Raw, NpyDType.UInt16, tokens);
        WriteTokens(Path.Combine(dir, "part-0.npy"), TokenFileFormat.Raw, NpyDType.UInt32, tokens);
        WriteTokens(Path.Combine(dir, "tokens.npy"), TokenFileFormat.Npy, NpyDType.UInt16, tokens);
        foreach (string shard in new[] { "fineweb_train_000001.bin", "shard_000001.bin", "shard_000002.bin" })
            WriteTokens(Path.Combine(dir, shard), TokenFileFormat.Llmc, NpyDType.UInt16, tokens);
        // Ragged rows over tokens.npy: documents of 1, 2, 3, ... tokens, and a Megatron-LM indexed dataset of them.
        var offsets = new List<long> { 0 };
        for (long length = 1; offsets[^1] + length <= Tokens; length++)
            offsets.Add(offsets[^1] + length);
        using (Tensor index = tensor(offsets.ToArray()))
            Npy.Save(Path.Combine(dir, "offsets.npy"), index);
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        Directory.CreateDirectory(Path.Combine(dir, "out"));
        using (IndexedDatasetWriter writer = IndexedDatasetWriter.Create(Path.Combine(dir, "data", "my_text_document"), NpyDType.UInt16, IndexedDatasetConvention.Megatron))
        {
            for (int d = 1; d < offsets.Count; d++)
                writer.AddDocument(tokens.AsSpan((int)offsets[d - 1], (int)(offsets[d] - offsets[d - 1])));
            writer.Complete();
        }
        File.WriteAllText(Path.Combine(dir, "kjv.txt"),
            "In the beginning God created the heaven and the earth.\n\nAnd the earth was without form, and void.\n");
        return dir;
    }

    private static void WriteTokens(string path, TokenFileFormat format, NpyDType dtype, long[] tokens)
    {
        using TokenWriter writer = TokenWriter.Create(path, format, dtype);
        writer.Write(tokens);
        writer.Complete();
    }
}
