using Microsoft.Extensions.Logging;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// The models the API serves: every ready deployment of the cluster, named by its id (a folder's name for
/// <c>--serve</c>, what <c>olm deploy --name</c> gave). A request may also name a model by its folder.
/// </summary>
internal sealed class ServedModels(IGrainFactory grains)
{
    public async Task<DeploymentInfo[]> ListAsync()
    {
        var ids = await grains.GetGrain<IDeploymentDirectoryGrain>(0).ListAsync();
        var infos = await Task.WhenAll(ids.Select(id => grains.GetGrain<IDeploymentGrain>(id).GetAsync()));
        return infos.OfType<DeploymentInfo>().Where(d => d.State == DeploymentState.Ready).ToArray();
    }

    /// <summary>The deployment a request names (without a name: the only one there is), or a 404 naming what exists.</summary>
    public async Task<string> FindAsync(string? model)
    {
        // The directory first: asking a deployment grain for any name a client sends would activate one per name.
        var ids = await grains.GetGrain<IDeploymentDirectoryGrain>(0).ListAsync();
        if (!string.IsNullOrEmpty(model) && ids.Contains(model, StringComparer.Ordinal)) return model;
        var ready = await ListAsync();
        if (string.IsNullOrEmpty(model))
            return ready.Length == 1 ? ready[0].Id : throw ApiError.BadRequest("model is required: GET /v1/models lists them", "model");
        var byFolder = ready.Where(d => ModelName.Short(d.Spec.Model) == model).ToArray();
        return byFolder.Length == 1 ? byFolder[0].Id
            : throw new ApiError(404, $"The model '{model}' does not exist; GET /v1/models lists the models served",
                "invalid_request_error", "model", "model_not_found");
    }

    /// <summary>Deploys each folder under its name on this silo's first device, as <c>--serve</c> asks at start.</summary>
    public async Task ServeAsync(IEnumerable<string> folders, string device, WeightSettings weights, ILogger log)
    {
        foreach (var folder in folders)
        {
            var path = Path.GetFullPath(folder);
            var name = ModelName.Short(path);
            var cuda = DeviceName.IsGpu(device);
            var spec = new DeploySpec { Model = path, Device = device, DType = cuda ? DType.BFloat16 : DType.Float32, Weights = weights };
            try
            {
                await grains.GetGrain<IDeploymentGrain>(name).DeployAsync(spec);
            }
            catch (OlmException e)
            {
                throw new OlmException($"--serve {folder}: {e.Message}", e.Kind);
            }
            log.LogInformation("serving {Model} from {Folder}", name, path);
        }
    }
}
