using Distillery.Data;
using Distillery.Experiments;
using Distillery.Functions.Http;
using Distillery.Storage;
using Distillery.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Distillery.Functions;

/// <summary>The services the functions are built from (Program.cs; the tests' durable host registers the same).</summary>
public static class DistilleryServices
{
    public static IServiceCollection AddDistillery(this IServiceCollection services)
    {
        services.AddSingleton(sp => DistilleryOptions.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<IArtifactStore>(sp =>
        {
            var store = ArtifactStoreFactory.Create(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<DistilleryOptions>().ArtifactsContainer);
            store.EnsureContainerAsync().GetAwaiter().GetResult();
            return store;
        });
        services.AddExperimentSteps(sp => new ExperimentSteps(sp.GetRequiredService<IArtifactStore>(), DataOptions(sp.GetRequiredService<DistilleryOptions>())));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<DistilleryOptions>();
            return new DatasetWatcher(sp.GetRequiredService<IArtifactStore>(), DataOptions(options), options.RetrainSettings,
                options.ChampionTolerance, sp.GetRequiredService<ILoggerFactory>().CreateLogger<DatasetWatcher>());
        });
        services.AddSingleton(sp => new Distillery.Serving.ForecasterCache(sp.GetRequiredService<IArtifactStore>(),
            sp.GetRequiredService<DistilleryOptions>().ForecasterCacheCapacity));
        return services;
    }

    private static DataSourceOptions DataOptions(DistilleryOptions options) =>
        new() { AllowedHosts = options.UrlAllowList, MaxBytes = options.MaxUploadBytes };
}
