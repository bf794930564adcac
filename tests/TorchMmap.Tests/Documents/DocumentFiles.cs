using System.Runtime.InteropServices;
using TorchMmap.Format;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Documents;

/// <summary>Writes documents as the files the library reads: .npy values + offsets (by hand-built bytes from the .npy spec)
/// and Megatron indexed datasets (by the library's writer).</summary>
internal static class DocumentFiles
{
    /// <summary>Little-endian int32 values and int64 offsets as a .npy pair; returns the opened ragged array.</summary>
    public static RaggedArray WriteNpyPair(string dir, IReadOnlyList<long[]> documents, string name = "docs")
    {
        int[] values = documents.SelectMany(d => d.Select(t => checked((int)t))).ToArray();
        long[] offsets = new long[documents.Count + 1];
        for (int i = 0; i < documents.Count; i++)
            offsets[i + 1] = offsets[i] + documents[i].Length;
        string valuesPath = Path.Combine(dir, name + "_values.npy");
        string offsetsPath = Path.Combine(dir, name + "_offsets.npy");
        File.WriteAllBytes(valuesPath, NpyBytes.File($"{{'descr': '<i4', 'fortran_order': False, 'shape': ({values.Length},), }}", MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        File.WriteAllBytes(offsetsPath, NpyBytes.File($"{{'descr': '<i8', 'fortran_order': False, 'shape': ({offsets.Length},), }}", MemoryMarshal.AsBytes(offsets.AsSpan()).ToArray()));
        return RaggedArray.Open(valuesPath, offsetsPath);
    }

    /// <summary>A Megatron indexed dataset of uint16 tokens, one sequence per document, written by <see cref="IndexedDatasetWriter"/>.</summary>
    public static string WriteIndexed(string dir, IReadOnlyList<long[]> documents, string name = "corpus")
    {
        string prefix = Path.Combine(dir, name);
        using IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.UInt16, IndexedDatasetConvention.Megatron);
        foreach (long[] d in documents)
            writer.AddDocument(d);
        writer.Complete();
        return prefix;
    }
}
