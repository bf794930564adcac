using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

public class EnumerableSamplerTests
{
    [Fact]
    public void Count_Collection_UsesLiveCollectionCount()
    {
        var list = new List<long> { 3, 1, 2 };
        var sampler = new EnumerableSampler(list);
        Assert.Equal(3, sampler.Count);

        list.Add(0);

        Assert.Equal(4, sampler.Count);
    }

    [Fact]
    public void Count_ReadOnlyCollection_UsesItsCount()
    {
        var sampler = new EnumerableSampler(new ReadOnlyOnly([5, 6]));

        Assert.Equal(2, sampler.Count);
    }

    [Fact]
    public void Count_LazySequence_EnumeratesOnceAndCaches()
    {
        int enumerations = 0;
        IEnumerable<long> Sequence()
        {
            enumerations++;
            yield return 9;
            yield return 4;
        }

        var sampler = new EnumerableSampler(Sequence());

        Assert.Equal(2, sampler.Count);
        Assert.Equal(2, sampler.Count);
        Assert.Equal(1, enumerations);
    }

    [Fact]
    public void Count_GivenExplicitly_DoesNotEnumerate()
    {
        var sampler = new EnumerableSampler(new ThrowingSequence(), count: 5);

        Assert.Equal(5, sampler.Count);
    }

    [Fact]
    public void GetIndices_AnySequence_ReturnsItsIndicesInOrder()
    {
        long[] indices = [7, 3, 3, 0];
        var sampler = new EnumerableSampler(indices.Select(i => i));

        Assert.Equal(indices, sampler.GetIndices());
        Assert.Equal(indices, sampler.ToArray());
    }

    [Fact]
    public void IsDeterministic_AnySequence_IsFalse()
    {
        Assert.False(new EnumerableSampler([1L, 2L]).IsDeterministic);
    }

    [Fact]
    public void Constructor_NullSequence_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>("indices", () => new EnumerableSampler(null!));
    }

    [Fact]
    public void Constructor_NegativeCount_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>("count", () => new EnumerableSampler([1L], count: -1));
    }

    private sealed class ReadOnlyOnly(long[] items) : IReadOnlyCollection<long>
    {
        public int Count => items.Length;

        public IEnumerator<long> GetEnumerator() => ((IEnumerable<long>)items).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class ThrowingSequence : IEnumerable<long>
    {
        public IEnumerator<long> GetEnumerator() => throw new InvalidOperationException("Enumerated.");

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
