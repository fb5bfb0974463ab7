package k8s

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// objects are the manifests decoded.
type objects struct {
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	pvcs        []*corev1.PersistentVolumeClaim
}

var separator = regexp.MustCompile(`(?m)^---\s*$`)

// load decodes every document of every .yaml file strictly: an unknown
// or misspelt field, or a value of the wrong type, is an error.
func load(t *testing.T) objects {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests (%v)", err)
	}
	var o objects
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range separator.Split(string(b), -1) {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(doc, "")) == "" {
				continue
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s document %d: %v", f, i+1, err)
			}
			var obj any
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 Deployment":
				d := &appsv1.Deployment{}
				o.deployments, obj = append(o.deployments, d), d
			case "v1 Service":
				s := &corev1.Service{}
				o.services, obj = append(o.services, s), s
			case "autoscaling/v2 HorizontalPodAutoscaler":
				h := &autoscalingv2.HorizontalPodAutoscaler{}
				o.hpas, obj = append(o.hpas, h), h
			case "v1 PersistentVolumeClaim":
				p := &corev1.PersistentVolumeClaim{}
				o.pvcs, obj = append(o.pvcs, p), p
			default:
				t.Fatalf("%s document %d: unexpected %s %s", f, i+1, tm.APIVersion, tm.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s document %d (%s): %v", f, i+1, tm.Kind, err)
			}
		}
	}
	if len(o.deployments) != 1 || len(o.services) != 1 || len(o.hpas) != 1 || len(o.pvcs) != 1 {
		t.Fatalf("%d deployments, %d services, %d autoscalers, %d claims; want one of each", len(o.deployments), len(o.services), len(o.hpas), len(o.pvcs))
	}
	return o
}

// TestManifests checks what the manifests promise.
func TestManifests(t *testing.T) {
	o := load(t)
	d, svc, hpa, pvc := o.deployments[0], o.services[0], o.hpas[0], o.pvcs[0]
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	port := func(p corev1.ContainerPort) bool { return p.Name == "http" && p.ContainerPort == 8080 }
	probe := func(p *corev1.Probe) bool {
		return p != nil && p.HTTPGet != nil && p.HTTPGet.Path == "/healthz" && p.HTTPGet.Port.String() == "http"
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"the container listens on http, 8080, the image's port", len(c.Ports) == 1 && port(c.Ports[0])},
		{"the server listens on all addresses at 8080 and serves the models' folder", hasArgs(c.Args, "-addr", "0.0.0.0:8080") && hasArgs(c.Args, "-model-dir", "/models")},
		{"the readiness probe gets /healthz", probe(c.ReadinessProbe)},
		{"the liveness probe gets /healthz", probe(c.LivenessProbe)},
		{"cpu and memory requests and limits", !c.Resources.Requests.Cpu().IsZero() && !c.Resources.Requests.Memory().IsZero() &&
			!c.Resources.Limits.Cpu().IsZero() && !c.Resources.Limits.Memory().IsZero() && c.Resources.Limits.Memory().Cmp(*c.Resources.Requests.Memory()) >= 0},
		{"the pod runs as the image's non-root user 65532", pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot &&
			pod.SecurityContext.RunAsUser != nil && *pod.SecurityContext.RunAsUser == 65532},
		{"no privilege escalation, a read-only root, no capabilities", c.SecurityContext != nil && c.SecurityContext.AllowPrivilegeEscalation != nil &&
			!*c.SecurityContext.AllowPrivilegeEscalation && c.SecurityContext.ReadOnlyRootFilesystem != nil && *c.SecurityContext.ReadOnlyRootFilesystem &&
			c.SecurityContext.Capabilities != nil && len(c.SecurityContext.Capabilities.Drop) == 1 && c.SecurityContext.Capabilities.Drop[0] == "ALL"},
		{"Prometheus scrapes /metrics on 8080", d.Spec.Template.Annotations["prometheus.io/scrape"] == "true" &&
			d.Spec.Template.Annotations["prometheus.io/port"] == "8080" && d.Spec.Template.Annotations["prometheus.io/path"] == "/metrics"},
		{"the models' volume is mounted read-only at /models", len(c.VolumeMounts) == 1 && c.VolumeMounts[0].MountPath == "/models" && c.VolumeMounts[0].ReadOnly &&
			len(pod.Volumes) == 1 && pod.Volumes[0].Name == c.VolumeMounts[0].Name && pod.Volumes[0].PersistentVolumeClaim != nil &&
			pod.Volumes[0].PersistentVolumeClaim.ClaimName == pvc.Name},
		{"the Deployment's selector matches its pods", d.Spec.Selector != nil && subset(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)},
		{"the Service selects the pods, on their http port", subset(svc.Spec.Selector, d.Spec.Template.Labels) && len(svc.Spec.Ports) == 1 &&
			svc.Spec.Ports[0].TargetPort.String() == "http"},
		{"the autoscaler scales the Deployment", hpa.Spec.ScaleTargetRef.Kind == "Deployment" && hpa.Spec.ScaleTargetRef.APIVersion == "apps/v1" &&
			hpa.Spec.ScaleTargetRef.Name == d.Name},
		{"the autoscaler's range holds the replicas", hpa.Spec.MinReplicas != nil && *hpa.Spec.MinReplicas >= 1 && hpa.Spec.MaxReplicas >= *hpa.Spec.MinReplicas &&
			d.Spec.Replicas != nil && *d.Spec.Replicas >= *hpa.Spec.MinReplicas && *d.Spec.Replicas <= hpa.Spec.MaxReplicas},
		{"the autoscaler's cpu target needs cpu requests", len(hpa.Spec.Metrics) == 1 && hpa.Spec.Metrics[0].Resource != nil &&
			hpa.Spec.Metrics[0].Resource.Name == corev1.ResourceCPU},
	}
	for _, tc := range tests {
		if !tc.ok {
			t.Errorf("not so: %s", tc.name)
		}
	}
}

// subset reports whether every label of sel is in labels, and sel has one.
func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

// TestStrict: a misspelt field is an error, so that the test above would
// catch one in the manifests.
func TestStrict(t *testing.T) {
	tests := []struct {
		name, doc string
	}{
		{"misspelt field", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: 2\n"},
		{"wrong type", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: two\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := yaml.UnmarshalStrict([]byte(tc.doc), &appsv1.Deployment{}); err == nil {
				t.Error("no error")
			}
		})
	}
}

// hasArgs reports whether args holds flag followed by value.
func hasArgs(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}
