using TorchMmap.Format;
using TorchMmap.Idx;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>
/// The property every IDX conversion must satisfy: the .npy written holds exactly what the fuzzer's own decoder makes of
/// the IDX bytes (descr, shape, little-endian C-order data), or the conversion is refused with
/// <see cref="InvalidDataException"/> or <see cref="NotSupportedException"/> naming the IDX file, leaving whatever was at
/// the output path untouched and no temporary file behind.
/// </summary>
public static class IdxProperty
{
    private static readonly byte[] s_previous = "previous contents"u8.ToArray();

    /// <summary>Writes the case to a file in <paramref name="directory"/>, converts it and checks the outcome.</summary>
    /// <param name="c">The case.</param>
    /// <param name="directory">A scratch directory.</param>
    /// <param name="stats">Where to count the outcome.</param>
    /// <exception cref="FuzzFailureException">The property does not hold.</exception>
    public static void Check(IdxCase c, string directory, FuzzStats stats)
    {
        // Each case in a directory of its own, so a stray temporary file is seen and blamed on the right case.
        string caseDir = Path.Combine(directory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(caseDir);
        string idx = Path.Combine(caseDir, "input.idx");
        string npy = Path.Combine(caseDir, "output.npy");
        File.WriteAllBytes(idx, c.Bytes);
        // About half the cases convert over an existing file: a refusal must leave it as it was.
        bool existing = (c.Bytes.Length & 1) == 0;
        if (existing)
            File.WriteAllBytes(npy, s_previous);
        try
        {
            Exception? error = Documented.Try(() => IdxConverter.Convert(idx, npy, c.Options));
            if (error is not null)
            {
                Documented.RequireRefusal(error, idx, "IdxConverter.Convert");
                RequireUntouched(npy, existing);
            }
            Documented.RequireMatch(c.Expect, error);
            if (error is null)
                RequireConverted(c, npy);
            RequireNoTemporaries(caseDir, idx, npy);
            stats.Record(c.Family, Documented.Outcome(error));
        }
        finally
        {
            Directory.Delete(caseDir, recursive: true);
        }
    }

    private static void RequireConverted(IdxCase c, string npy)
    {
        IdxDecoded expected = IdxDecoder.Decode(c.Content, c.Options)
            ?? throw new FuzzFailureException("The converter wrote a .npy for content the decoder finds malformed.");
        NpyHeader header;
        try
        {
            header = NpyHeader.Read(npy);
        }
        catch (Exception ex)
        {
            throw new FuzzFailureException($"The converted file does not read back: {ex.Message}", ex);
        }
        if (header.Descr != expected.Descr)
            throw new FuzzFailureException($"The converted descr is '{header.Descr}', expected '{expected.Descr}'.");
        if (!header.Shape.SequenceEqual(expected.Shape))
            throw new FuzzFailureException($"The converted shape is ({string.Join(", ", header.Shape)}), expected ({string.Join(", ", expected.Shape)}).");
        if (header.FortranOrder)
            throw new FuzzFailureException("The converted file is in Fortran order.");
        byte[] file = File.ReadAllBytes(npy);
        if (file.Length != header.DataOffset + expected.Data.Length)
            throw new FuzzFailureException($"The converted file has {file.Length - header.DataOffset} data bytes, expected {expected.Data.Length}.");
        if (!file.AsSpan((int)header.DataOffset).SequenceEqual(expected.Data))
            throw new FuzzFailureException("The converted data differs from the decoded IDX data.");
    }

    private static void RequireUntouched(string npy, bool existing)
    {
        if (!existing && File.Exists(npy))
            throw new FuzzFailureException("A refused conversion left a file at the output path.");
        if (existing && !File.ReadAllBytes(npy).AsSpan().SequenceEqual(s_previous))
            throw new FuzzFailureException("A refused conversion changed the file that was at the output path.");
    }

    private static void RequireNoTemporaries(string caseDir, string idx, string npy)
    {
        string[] stray = Directory.GetFiles(caseDir).Where(f => f != idx && f != npy).ToArray();
        if (stray.Length > 0)
            throw new FuzzFailureException($"The conversion left {string.Join(", ", stray.Select(Path.GetFileName))} behind.");
    }
}
