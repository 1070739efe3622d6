using Distillery.Models;
using Distillery.Training;

namespace Distillery.Experiments;

/// <summary>Receives every finished pass of every training job (CLI progress bars, logs).</summary>
public interface ITrainingObserver
{
    void OnPass(string runId, ModelKind kind, int fold, PassReport pass);
}
