using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

public sealed class BatchRingTests
{
    private static readonly TimeSpan s_noHang = TimeSpan.FromSeconds(20);

    // A boxed number, so items are references as the loader's are.
    private sealed record Box(int Value);

    [Fact]
    public void Constructor_CapacityZero_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchRing<Box>(0));

    [Fact]
    public void TryTake_AfterAddsAndCompletion_GivesTheItemsInOrderThenFalse()
    {
        var ring = new BatchRing<Box>(3);
        for (int i = 0; i < 3; i++)
            Assert.True(ring.TryAdd(new Box(i)));
        ring.CompleteAdding();

        Assert.Equal(3, ring.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(ring.TryTake(out Box? item));
            Assert.Equal(i, item.Value);
        }

        Assert.False(ring.TryTake(out _));
        Assert.Throws<InvalidOperationException>(() => ring.TryAdd(new Box(9)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void TryTake_ProducerOnAnotherThread_GetsEveryItemOnceInOrder(int capacity)
    {
        const int Items = 200_000;
        var ring = new BatchRing<Box>(capacity);
        Task producer = Task.Run(() =>
        {
            for (int i = 0; i < Items; i++)
                Assert.True(ring.TryAdd(new Box(i)));
            ring.CompleteAdding();
        });
        int expected = 0;
        Task consumer = Task.Run(() =>
        {
            while (ring.TryTake(out Box? item))
            {
                Assert.Equal(expected, item.Value);
                expected++;
            }
        });

        Assert.True(Task.WaitAll([producer, consumer], s_noHang), "The ring hangs.");
        Assert.Equal(Items, expected);
    }

    [Fact]
    public void TryAdd_FullRing_SleepsUntilHalfOfItIsFree()
    {
        var ring = new BatchRing<Box>(4);
        for (int i = 0; i < 4; i++)
            Assert.True(ring.TryAdd(new Box(i)));
        var producer = new Thread(() => ring.TryAdd(new Box(4)));
        producer.Start();
        WaitUntilBlocked(producer);

        // One free place is not half of four: the producer sleeps on.
        Assert.True(ring.TryTake(out _));
        Assert.False(producer.Join(TimeSpan.FromMilliseconds(200)));
        Assert.True(ring.TryTake(out _));

        Assert.True(producer.Join(s_noHang), "The producer was not woken.");
        Assert.Equal(3, ring.Count);
    }

    [Fact]
    public void TryTake_EmptyRing_WakesOnTheFirstItem()
    {
        var ring = new BatchRing<Box>(4);
        Box? taken = null;
        var consumer = new Thread(() => ring.TryTake(out taken));
        consumer.Start();
        WaitUntilBlocked(consumer);

        // A waiting consumer wants the next batch now, not half a ring later.
        Assert.True(ring.TryAdd(new Box(0)));

        Assert.True(consumer.Join(s_noHang), "The consumer was not woken.");
        Assert.Equal(0, taken?.Value);
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void CompleteAdding_ConsumerWaitingForMore_GetsTheRestThenFalse()
    {
        var ring = new BatchRing<Box>(8);
        var results = new List<int>();
        var consumer = new Thread(() =>
        {
            while (ring.TryTake(out Box? item))
                results.Add(item.Value);
        });
        consumer.Start();
        WaitUntilBlocked(consumer);

        Assert.True(ring.TryAdd(new Box(7)));
        ring.CompleteAdding();

        Assert.True(consumer.Join(s_noHang), "The consumer was not woken by the completion.");
        Assert.Equal([7], results);
    }

    [Fact]
    public void Abandon_BothSidesWaiting_BothReturnFalse()
    {
        var full = new BatchRing<Box>(1);
        Assert.True(full.TryAdd(new Box(0)));
        bool added = true;
        var producer = new Thread(() => added = full.TryAdd(new Box(1)));
        var empty = new BatchRing<Box>(2);
        bool took = true;
        var consumer = new Thread(() => took = empty.TryTake(out _));
        producer.Start();
        consumer.Start();
        WaitUntilBlocked(producer);
        WaitUntilBlocked(consumer);

        full.Abandon();
        empty.Abandon();

        Assert.True(producer.Join(s_noHang) && consumer.Join(s_noHang), "Abandon did not wake a waiting side.");
        Assert.False(added);
        Assert.False(took);
        Assert.False(full.TryAdd(new Box(2)));
        // What was added before stays there for the owner to take back.
        Assert.True(full.TryTakeNow(out Box? left));
        Assert.Equal(0, left.Value);
    }

    [Fact]
    public void TryTakeNow_AlongsideAConsumer_EveryItemIsTakenExactlyOnce()
    {
        const int Items = 100_000;
        var ring = new BatchRing<Box>(4);
        var seen = new int[Items];
        using var stop = new CancellationTokenSource();
        Task producer = Task.Run(() =>
        {
            for (int i = 0; i < Items; i++)
                Assert.True(ring.TryAdd(new Box(i)));
            ring.CompleteAdding();
        });
        Task consumer = Task.Run(() =>
        {
            while (ring.TryTake(out Box? item))
                Interlocked.Increment(ref seen[item.Value]);
        });
        Task drainer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (ring.TryTakeNow(out Box? item))
                    Interlocked.Increment(ref seen[item.Value]);
            }
        });

        Assert.True(Task.WaitAll([producer, consumer], s_noHang), "The ring hangs.");
        stop.Cancel();
        Assert.True(drainer.Wait(s_noHang));
        Assert.All(seen, n => Assert.Equal(1, n));
    }

    // Waits until the thread sleeps in the ring (it never sleeps anywhere else in these tests).
    private static void WaitUntilBlocked(Thread thread)
    {
        var deadline = DateTime.UtcNow + s_noHang;
        while ((thread.ThreadState & ThreadState.WaitSleepJoin) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The thread never waited.");
            Thread.Sleep(1);
        }
    }
}
