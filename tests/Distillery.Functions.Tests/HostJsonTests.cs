using System.Text.Json.Nodes;
using Distillery.Hosting;
using Distillery.Tests;

namespace Distillery.Tests.Functions;

/// <summary>host.json's Durable Task settings against Microsoft's Flex Consumption guidance, the CLI's Azure Storage
/// backend and the activity times the benchmark measured (bench/results.json).</summary>
public class HostJsonTests
{
    private static readonly JsonNode Host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")))!;
    private static JsonNode Durable => Host["extensions"]!["durableTask"]!;
    private static TimeSpan Span(JsonNode? node) => TimeSpan.Parse(node!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The longest training job of the benchmark's default study runs on this project's 2-core machine.</summary>
    private static double LongestMeasuredActivitySeconds()
    {
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "bench", "results.json")))!;
        var seconds = results["p1"]!["runs"]!.AsArray().SelectMany(r => r!["jobs"]!.AsArray()).Select(j => j!["seconds"]!.GetValue<double>()).ToList();
        Assert.NotEmpty(seconds);
        return seconds.Max();
    }

    [Fact]
    public void Queue_polling_is_at_most_10_seconds_as_Flex_Consumption_needs()
    {
        var polling = Span(Durable["storageProvider"]!["maxQueuePollingInterval"]);
        Assert.InRange(polling, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        // The CLI's workers poll the same way, so a hub behaves alike under both.
        Assert.Equal(new DurableBackend.AzureStorage("UseDevelopmentStorage=true", "h", TimeSpan.FromMinutes(5)).MaxPollingInterval, polling);
    }

    [Fact]
    public void Partition_count_is_the_CLI_backends()
    {
        // Workers of one task hub must agree on its partitions.
        var cli = new DurableBackend.AzureStorage("UseDevelopmentStorage=true", "h", TimeSpan.FromMinutes(5)).PartitionCount;
        Assert.Equal(cli, Durable["storageProvider"]!["partitionCount"]!.GetValue<int>());
    }

    [Fact]
    public void Timeouts_leave_headroom_over_the_longest_measured_activity()
    {
        var longest = TimeSpan.FromSeconds(LongestMeasuredActivitySeconds());
        var visibility = Span(Durable["storageProvider"]!["workItemQueueVisibilityTimeout"]);
        var function = Span(Host["functionTimeout"]);
        // At least 10× a measured job: a slower instance or a longer run must not see its activity handed to another.
        Assert.True(visibility >= 10 * longest, $"workItemQueueVisibilityTimeout {visibility} < 10 × the longest measured activity {longest}");
        Assert.True(function >= visibility, $"functionTimeout {function} < workItemQueueVisibilityTimeout {visibility}");
    }

    [Fact]
    public void Two_activities_per_instance()
    {
        // One torch thread per training job; a 4096 MB Flex instance has about 2 vCPUs.
        Assert.Equal(2, Durable["maxConcurrentActivityFunctions"]!.GetValue<int>());
    }
}
