package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.util.Map;

/**
 * The desired state of a Deployment: how many Pods, which labels select them (in a manifest
 * {@code selector: {matchLabels: {...}}}), the Pod template and the rolling-update budget. In a manifest an absent
 * {@code replicas} is 1 and an absent strategy is 25% / 25%.
 */
public record DeploymentSpec(
        int replicas,
        @JsonSerialize(converter = SelectorJson.ToWire.class)
        Map<String, String> selector,
        PodTemplate template,
        RollingUpdate strategy) {
    static final DeploymentSpec EMPTY = new DeploymentSpec(1, Map.of(), PodTemplate.EMPTY, RollingUpdate.DEFAULT);

    public DeploymentSpec {
        selector = Defaults.map(selector);
        template = Defaults.or(template, PodTemplate.EMPTY);
        strategy = Defaults.or(strategy, RollingUpdate.DEFAULT);
    }

    @JsonCreator
    static DeploymentSpec fromJson(@JsonProperty("replicas") Integer replicas,
                                   @JsonProperty("selector") @JsonDeserialize(converter = SelectorJson.FromWire.class)
                                   Map<String, String> selector,
                                   @JsonProperty("template") PodTemplate template,
                                   @JsonProperty("strategy") RollingUpdate strategy) {
        return new DeploymentSpec(replicas == null ? 1 : replicas, selector, template, strategy);
    }

    public DeploymentSpec withReplicas(int replicas) {
        return new DeploymentSpec(replicas, selector, template, strategy);
    }

    public DeploymentSpec withTemplate(PodTemplate template) {
        return new DeploymentSpec(replicas, selector, template, strategy);
    }
}
