// Package k8s holds the Kubernetes manifests of cmd/serve (serve.yaml):
// a Deployment with probes on /healthz, resources, a non-root security
// context and Prometheus's scrape annotations, a Service, a
// HorizontalPodAutoscaler and the claim of the models' volume. Its test
// decodes them strictly into the Kubernetes API types and checks that
// they fit together. It is a module of its own, so that the library does
// not depend on the Kubernetes API.
package k8s
