package io.lakeloop.modeling.model;

import java.io.Serializable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A network shipped to the executors once: its configuration (JSON) and parameters are Spark
 * broadcasts, and each task rebuilds its own copy with {@link #network()} (a DL4J network is not
 * thread-safe, so tasks must not share one).
 */
public final class BroadcastNetwork implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Broadcast<String> conf;
  private final Broadcast<INDArray> params;

  private BroadcastNetwork(Broadcast<String> conf, Broadcast<INDArray> params) {
    this.conf = conf;
    this.params = params;
  }

  public static BroadcastNetwork of(JavaSparkContext sc, MultiLayerNetwork net) {
    return new BroadcastNetwork(
        sc.broadcast(net.getLayerWiseConfigurations().toJson()), sc.broadcast(net.params().dup()));
  }

  /** A new network with the broadcast configuration and parameters (call once per task). */
  public MultiLayerNetwork network() {
    MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(conf.value()));
    net.init(params.value().dup(), false);
    return net;
  }
}
