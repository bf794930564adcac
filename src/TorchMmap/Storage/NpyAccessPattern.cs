namespace TorchMmap.Storage;

/// <summary>How rows will be read, passed to the kernel as a paging hint (<c>madvise</c> on Linux; ignored elsewhere).</summary>
public enum NpyAccessPattern
{
    /// <summary>No particular order: the kernel's default read-ahead.</summary>
    Normal,

    /// <summary>Rows in increasing order: aggressive read-ahead, pages dropped behind.</summary>
    Sequential,

    /// <summary>Rows in random order: read-ahead off, so each fault reads only what it needs.</summary>
    Random,
}
