using TorchMmap.Storage;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>
/// The property every Megatron indexed dataset must satisfy: <see cref="IndexedDataset.Open(string, string, Format.IndexedDatasetConvention, bool)"/>
/// refuses it with <see cref="InvalidDataException"/> naming the index or data file exactly when the fuzzer's own reader
/// (<see cref="MegatronDecoder"/>) finds it malformed; otherwise every sequence (widened, or as stored for floats), every
/// document boundary and every mode reads exactly as the oracle decodes them.
/// </summary>
public static class MegatronProperty
{
    /// <summary>Writes the case's two files to <paramref name="directory"/>, opens and reads them, and checks the outcome.</summary>
    /// <param name="c">The case.</param>
    /// <param name="directory">A scratch directory.</param>
    /// <param name="stats">Where to count the outcome.</param>
    /// <exception cref="FuzzFailureException">The property does not hold.</exception>
    public static void Check(MegatronCase c, string directory, FuzzStats stats)
    {
        string prefix = Path.Combine(directory, Guid.NewGuid().ToString("N"));
        string idx = prefix + ".idx", bin = prefix + ".bin";
        File.WriteAllBytes(idx, c.Idx);
        File.WriteAllBytes(bin, c.Bin);
        try
        {
            MegatronDecoded? expected = MegatronDecoder.Decode(c.Idx, c.Bin, c.Convention, c.Multimodal, out string why);
            Exception? error = Documented.Try(() =>
            {
                using IndexedDataset dataset = IndexedDataset.Open(idx, bin, c.Convention, c.Multimodal);
                if (expected is not null)
                    RequireRead(dataset, expected);
            });
            if (error is FuzzFailureException)
                throw error;
            if (error is not null)
            {
                if (error is not InvalidDataException)
                    throw new FuzzFailureException($"IndexedDataset threw {error.GetType().Name}, not InvalidDataException: {error.Message}", error);
                if (!error.Message.Contains(idx, StringComparison.Ordinal) && !error.Message.Contains(bin, StringComparison.Ordinal))
                    throw new FuzzFailureException($"IndexedDataset refused the dataset but the message names neither file: {error.Message}", error);
                if (expected is not null)
                    throw new FuzzFailureException($"IndexedDataset refused a dataset the oracle reads: {error.Message}", error);
            }
            else if (expected is null)
            {
                throw new FuzzFailureException($"IndexedDataset opened a dataset the oracle finds malformed ({why}).");
            }
            Documented.RequireMatch(c.Expect, error);
            stats.Record(c.Family, Documented.Outcome(error));
        }
        finally
        {
            File.Delete(idx);
            File.Delete(bin);
        }
    }

    private static void RequireRead(IndexedDataset dataset, MegatronDecoded expected)
    {
        int n = expected.Sequences.Length;
        Require(dataset.SequenceCount == n, $"{dataset.SequenceCount} sequences, expected {n}");
        Require(dataset.DocumentCount == expected.Documents.Length - 1, $"{dataset.DocumentCount} documents, expected {expected.Documents.Length - 1}");
        Require(dataset.ReadDocumentIndices().SequenceEqual(expected.Documents), "the document indices differ");
        for (long d = 0; d < dataset.DocumentCount; d++)
            Require(dataset.SequencesOf(d) == (expected.Documents[d], expected.Documents[d + 1]), $"SequencesOf({d}) differs");
        RaggedArray sequences = dataset.Sequences;
        for (int i = 0; i < n; i++)
        {
            long[] values = expected.Sequences[i];
            Require(sequences.LengthOf(i) == values.Length, $"sequence {i} has {sequences.LengthOf(i)} items, expected {values.Length}");
            long[] read;
            if (!expected.IsFloat)
            {
                read = sequences.Read(i);
            }
            else if (expected.ItemSize == 4)
            {
                uint[] bits = new uint[values.Length];
                sequences.CopyRaw<uint>(i, 0, bits);
                read = bits.Select(b => (long)b).ToArray();
            }
            else
            {
                read = new long[values.Length];
                sequences.CopyRaw<long>(i, 0, read);
            }
            Require(read.SequenceEqual(values), $"sequence {i} reads [{string.Join(",", read)}], expected [{string.Join(",", values)}]");
            if (expected.Modes is not null)
                Require(dataset.ModeOf(i) == expected.Modes[i], $"the mode of sequence {i} differs");
        }
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
            throw new FuzzFailureException($"The dataset opened but reads differently from the oracle: {what}.");
    }
}
