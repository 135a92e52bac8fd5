namespace OrleansLlm.Grains.Interfaces;

[GenerateSerializer, Alias("olm.DeploymentEventKind")]
public enum DeploymentEventKind { Loading, Loaded, Failed, Ready }
