using static TorchSharp.torch;

namespace TorchMmap.Tests;

/// <summary>Byte-level comparisons of tensors, so NaN payloads, -0.0 and bool bytes are checked exactly.</summary>
internal static class TensorBytes
{
    /// <summary>The bytes of a CPU tensor's elements in C order.</summary>
    public static byte[] Of(Tensor tensor)
    {
        using Tensor contiguous = tensor.contiguous();
        return contiguous.bytes.ToArray();
    }

    /// <summary>Asserts that <paramref name="actual"/> equals <paramref name="expected"/>, naming <paramref name="what"/> and the first differing byte.</summary>
    public static void Equal(byte[] expected, byte[] actual, string what)
    {
        if (expected.AsSpan().SequenceEqual(actual))
            return;
        int first = expected.AsSpan().CommonPrefixLength(actual);
        Assert.Fail($"{what}: {actual.Length} bytes differ from the expected {expected.Length} at byte {first}.");
    }
}
