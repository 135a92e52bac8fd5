global using Orleans.Concurrency;
global using OrleansLlm.Grains.Interfaces;
