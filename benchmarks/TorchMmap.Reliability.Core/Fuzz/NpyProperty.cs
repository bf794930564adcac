using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>
/// The property every .npy file must satisfy: it reads exactly as its bytes say (values decoded independently) or is
/// refused with <see cref="InvalidDataException"/> or <see cref="NotSupportedException"/> naming the file, and parsing
/// the bytes agrees with opening the file.
/// </summary>
public static class NpyProperty
{
    /// <summary>Writes the case to a file in <paramref name="directory"/>, reads it every way and checks the outcome.</summary>
    /// <param name="c">The case.</param>
    /// <param name="directory">A scratch directory.</param>
    /// <param name="stats">Where to count the outcome.</param>
    /// <exception cref="FuzzFailureException">The property does not hold.</exception>
    public static void Check(NpyCase c, string directory, FuzzStats stats)
    {
        string path = Path.Combine(directory, Guid.NewGuid().ToString("N") + ".npy");
        File.WriteAllBytes(path, c.Bytes);
        try
        {
            Exception? parseError = Documented.Try(() => NpyHeader.Parse(c.Bytes, path, isWholeFile: true));
            if (parseError is not null)
                Documented.RequireRefusal(parseError, path, "NpyHeader.Parse");

            NpyArray? array = null;
            Exception? openError = Documented.Try(() => array = NpyArray.Open(path));
            if (openError is not null)
                Documented.RequireRefusal(openError, path, "NpyArray.Open");
            if (parseError?.GetType() != openError?.GetType())
                throw new FuzzFailureException($"NpyHeader.Parse gave {Documented.Outcome(parseError)} but NpyArray.Open gave {Documented.Outcome(openError)}.");
            Documented.RequireMatch(c.Expect, openError);
            if (array is not null)
            {
                using (array)
                    VerifyRead(c, array, c.Bytes);
            }
            stats.Record(c.Family, Documented.Outcome(openError));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Checks an opened array against an independent decoding of the bytes it was read from.</summary>
    /// <param name="c">The case (its expected layout, when it has one).</param>
    /// <param name="array">The opened array.</param>
    /// <param name="bytes">The bytes of the .npy data it maps (the file, or the archive entry).</param>
    /// <exception cref="FuzzFailureException">Something differs.</exception>
    public static void VerifyRead(NpyCase? c, NpyArray array, ReadOnlySpan<byte> bytes)
    {
        NpyHeader h = array.Header;
        long declared = NpyBytes.DeclaredDataOffset(bytes);
        if (h.DataOffset != declared)
            throw new FuzzFailureException($"The data offset is {h.DataOffset}, but the preamble declares {declared}.");
        if (h.DataLength > bytes.Length - h.DataOffset)
            throw new FuzzFailureException($"Accepted a file of {bytes.Length} bytes whose data ({h.DataLength} bytes at {h.DataOffset}) runs past its end.");
        char kind = h.DType.Kind switch
        {
            NpyKind.Bool => 'b',
            NpyKind.SignedInteger => 'i',
            NpyKind.UnsignedInteger => 'u',
            NpyKind.Float => 'f',
            _ => 'c',
        };
        FuzzDType dtype = FuzzDType.Find(kind, h.DType.ItemSize, h.DType.ByteOrder == NpyByteOrder.Big)
            ?? throw new FuzzFailureException($"Accepted the dtype '{h.Descr}' ({h.DType}), which has no tensor type.");
        long[] shape = [.. h.Shape];
        if (c?.Accepted is { } want && (want.DType != dtype || !want.Shape.SequenceEqual(shape) || want.Fortran != h.FortranOrder))
            throw new FuzzFailureException($"Read as {dtype.Descr} ({string.Join(", ", shape)}) fortran={h.FortranOrder}, expected {want}.");

        byte[] expected = ExpectedValues.Decode(dtype, shape, h.FortranOrder, bytes[(int)h.DataOffset..]);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor all = array.ToTensor();
        if (!all.shape.SequenceEqual(shape))
            throw new FuzzFailureException($"ToTensor gave shape ({string.Join(", ", all.shape)}), the header says ({string.Join(", ", shape)}).");
        RequireBytes(all, expected, "ToTensor");
        if (h.Rank == 0 || array.Length == 0)
            return;
        long n = array.Length;
        int rowBytes = (int)(expected.Length / n);
        RequireBytes(array.ReadRows(0, n), expected, "ReadRows");
        byte[] picked = [.. expected.AsSpan((int)((n - 1) * rowBytes), rowBytes), .. expected.AsSpan(0, rowBytes), .. expected.AsSpan((int)((n - 1) * rowBytes), rowBytes)];
        RequireBytes(array.Gather([n - 1, 0, n - 1]), picked, "Gather");
    }

    private static void RequireBytes(Tensor t, byte[] expected, string what)
    {
        ReadOnlySpan<byte> actual = t.bytes;
        if (!actual.SequenceEqual(expected))
        {
            int at = 0;
            while (at < Math.Min(actual.Length, expected.Length) && actual[at] == expected[at])
                at++;
            throw new FuzzFailureException($"{what} returned {actual.Length} bytes that differ from the {expected.Length} expected at byte {at}.");
        }
    }
}
