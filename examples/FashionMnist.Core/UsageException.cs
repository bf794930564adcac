namespace FashionMnist;

/// <summary>A command line the example cannot run: an unknown option, a missing or bad value.</summary>
public sealed class UsageException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">What is wrong, as the user should read it.</param>
    /// <param name="paramName">The parameter that carried the command line.</param>
    public UsageException(string reason, string paramName)
        : base(reason, paramName) => Reason = reason;

    /// <summary>What is wrong, without the parameter name <see cref="ArgumentException.Message"/> appends.</summary>
    public string Reason { get; }
}
