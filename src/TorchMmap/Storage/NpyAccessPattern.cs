namespace TorchMmap.Storage;

/// <summary>How rows will be read, passed to the kernel as a paging hint (<c>madvise</c> on Linux; ignored elsewhere).</summary>
public enum NpyAccessPattern
{
    /// <summary>No particular order: the kernel's default read-ahead.</summary>
    Normal,

    /// <summary>Rows in increasing order: aggressive read-ahead, pages dropped behind.</summary>
    /// <remarks>Measured on a cold file four times larger than its memory limit, sequential reads through the mapping were
    /// faster with <see cref="Normal"/>, which is what <see cref="Data.NpyDataLoader"/> uses for sequential epochs.</remarks>
    Sequential,

    /// <summary>Rows in random order: read-ahead off, so each fault reads only what it needs.</summary>
    Random,
}
