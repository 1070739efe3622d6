using Microsoft.DurableTask;

namespace Distillery.Workflow;

public static class ActivityRetry
{
    /// <summary>Transient faults (storage, the machine) are retried with back-off; bad input is not.</summary>
    public static readonly TaskOptions Options = TaskOptions.FromRetryPolicy(
        new RetryPolicy(maxNumberOfAttempts: 3, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2.0)
        {
            HandleFailure = failure => !failure.IsCausedBy<InvalidInputException>(),
        });
}
