using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask.Testing.Sidecar;
using Distillery.Experiments;
using Microsoft.Extensions.Logging;

namespace Distillery.Hosting;

/// <summary>Where the orchestrations' state lives: in this process's memory, or in an Azure Storage task hub that any
/// number of worker processes share (the provider Durable Functions uses by default).</summary>
public abstract record DurableBackend
{
    private DurableBackend() { }

    /// <summary>Durable Task's in-memory backend: nothing to install, gone with the process.</summary>
    public sealed record InMemory : DurableBackend
    {
        public override string Describe() => "in-memory durable backend";
    }

    /// <summary>The Durable Task Framework's Azure Storage provider: control and work-item queues, history and
    /// instance tables, large messages in blobs, partitions leased by the workers.</summary>
    /// <param name="Takeover">How long a dead worker's work waits before another worker takes it: the work-item and
    /// control-queue visibility timeouts and (at most 30 s) the partition lease. Live workers renew their locks.</param>
    public sealed record AzureStorage(string ConnectionString, string TaskHub, TimeSpan Takeover) : DurableBackend
    {
        public const string DefaultTaskHub = "distillery";
        public static readonly TimeSpan DefaultTakeover = TimeSpan.FromMinutes(5);

        public int PartitionCount { get; init; } = 4;

        /// <summary>The longest wait between polls of an idle queue (the provider backs off up to it).</summary>
        public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromSeconds(2);

        public override string Describe() => $"Azure Storage task hub '{TaskHub}'";

        /// <summary>Task hub names are 3–45 letters and digits, starting with a letter (they name queues and tables).</summary>
        public static string ValidateTaskHub(string name) =>
            name.Length is >= 3 and <= 45 && char.IsAsciiLetter(name[0]) && name.All(char.IsAsciiLetterOrDigit)
                ? name
                : throw new InvalidInputException($"task hub '{name}' must be 3–45 letters and digits, starting with a letter");

        internal AzureStorageOrchestrationService CreateService(int parallel, ILoggerFactory loggers)
        {
            var lease = Takeover < TimeSpan.FromSeconds(30) ? Takeover : TimeSpan.FromSeconds(30);
            return new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
            {
                StorageAccountClientProvider = new StorageAccountClientProvider(ConnectionString),
                TaskHubName = ValidateTaskHub(TaskHub),
                PartitionCount = PartitionCount,
                WorkerId = WorkerIdentity.Current,
                MaxConcurrentTaskActivityWorkItems = parallel,
                MaxConcurrentTaskOrchestrationWorkItems = Math.Max(parallel, 4),
                WorkItemQueueVisibilityTimeout = Takeover,
                ControlQueueVisibilityTimeout = Takeover,
                LeaseInterval = lease,
                LeaseRenewInterval = lease / 3,
                LeaseAcquireInterval = lease / 3,
                MaxQueuePollingInterval = MaxPollingInterval,
                LoggerFactory = loggers,
            });
        }
    }

    public abstract string Describe();

    internal (IOrchestrationService Service, IOrchestrationServiceClient Client) Create(int parallel, ILoggerFactory loggers) => this switch
    {
        InMemory => Both(new InMemoryOrchestrationService(loggers)),
        AzureStorage azure => Both(azure.CreateService(parallel, loggers)),
        _ => throw new InvalidOperationException($"unknown durable backend {GetType().Name}"),
    };

    private static (IOrchestrationService, IOrchestrationServiceClient) Both<T>(T service)
        where T : IOrchestrationService, IOrchestrationServiceClient => (service, service);
}
