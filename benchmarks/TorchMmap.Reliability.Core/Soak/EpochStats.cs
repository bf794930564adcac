namespace TorchMmap.Reliability.Soak;

/// <summary>Resource use measured after one epoch: live tensors first, then memory after a full garbage collection.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Batches">Batches read and verified in the epoch.</param>
/// <param name="RssAnonKiB">Resident anonymous memory (heap, native allocations): what a leak grows.</param>
/// <param name="RssAnonTrimmedKiB">The same after glibc returned its free heap pages (<see cref="ProcessMemory.TrimNativeHeap"/>): memory still allocated.</param>
/// <param name="RssFileKiB">Resident file-backed memory (mapped data pages and code): bounded by the files' size.</param>
/// <param name="LiveTensors">TorchSharp tensors created and not yet disposed, process-wide, right after the epoch (before any forced collection).</param>
/// <param name="LiveTensorsMidEpoch">The same count at the tenth batch of the epoch (batches held by the loader and its prefetch queues).</param>
/// <param name="ManagedHeapBytes">The managed heap after collection.</param>
/// <param name="JitCompiledMethods">Methods the JIT has compiled so far, tier-ups included: tiered compilation's
/// optimised code is anonymous memory too, and arrives a few epochs into a run.</param>
/// <param name="Seconds">The epoch's wall time.</param>
public sealed record EpochStats(int Epoch, long Batches, long RssAnonKiB, long RssAnonTrimmedKiB, long RssFileKiB, long LiveTensors, long LiveTensorsMidEpoch, long ManagedHeapBytes, long JitCompiledMethods, double Seconds);
