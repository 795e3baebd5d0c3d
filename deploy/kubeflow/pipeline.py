"""A Kubeflow Pipelines (kfp v2 SDK) pipeline around the ADQ component: compress a data set on the
cluster's gateway, then train on the result with the Python client. Compile with
`python pipeline.py` (needs `pip install kfp kfp-kubernetes`), upload pipeline.yaml in the UI.
Not run here (no Kubeflow): test/services/kubeflow-component.test.ts runs the component's command
against a real `adq serve`."""

from kfp import compiler, components, dsl, kubernetes

adq_compress = components.load_component_from_file("adq-compress.component.yaml")


@dsl.component(base_image="python:3.11", packages_to_install=["adq-client[torch]", "torchvision"])
def train(result: dsl.Input[dsl.Artifact], epochs: int = 1) -> float:
    import torch
    import torchvision
    from adq_client import to_torch
    from torchvision import transforms

    data = to_torch(result.path, transform=transforms.ToTensor())
    model = torchvision.models.resnet18(num_classes=len(data.classes))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss = torch.tensor(0.0)
    for _ in range(epochs):
        for x, y in torch.utils.data.DataLoader(data, batch_size=128, shuffle=True):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
    return float(loss)


@dsl.pipeline(name="adq-compress-and-train")
def pipeline(dataset: str = "/data/cifar10/train", ratio: float = 0.1, seed: int = 0) -> None:
    compressed = adq_compress(
        dataset=dataset,
        server="adq-gateway.adq.svc.cluster.local:50051",
        ratio=ratio,
        seed=seed,
        idempotency_key=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
    )
    # The tenant's API key, from the Secret `adq-tenant` (key apiKey) in the run's namespace.
    kubernetes.use_secret_as_env(compressed, secret_name="adq-tenant", secret_key_to_env={"apiKey": "ADQ_API_KEY"})
    train(result=compressed.outputs["result"])


if __name__ == "__main__":
    compiler.Compiler().compile(pipeline, "pipeline.yaml")
